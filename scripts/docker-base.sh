#!/usr/bin/env bash
# Makes debian:12-slim available on the engine at $DOCKER_HOST. Where no registry
# is reachable it is imported from BASE_ROOTFS (a debootstrap minbase tarball,
# made if missing). Used by the container scripts (docker-rebuild-bench.sh,
# docker-start-check.sh).
#   scripts/docker-base.sh WORKDIR
set -euo pipefail
docker="${DOCKER:-docker}"
work="${1:?work directory}"
base_rootfs="${BASE_ROOTFS:-/var/cache/cdktf-apache-wsgi/bookworm-minbase.tar}"
if "$docker" image inspect debian:12-slim >/dev/null 2>&1; then
  exit 0
fi
if [ ! -f "$base_rootfs" ]; then
  echo "[base] making a Debian 12 minbase root with debootstrap" >&2
  mkdir -p "$(dirname "$base_rootfs")"
  debootstrap --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian >/dev/null
  tar -C "$work/rootfs" -cf "$base_rootfs" .
  rm -rf "$work/rootfs"
fi
"$docker" import "$base_rootfs" debian:12-slim >/dev/null
