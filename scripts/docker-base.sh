#!/usr/bin/env bash
# Makes debian:12-slim available on the engine at $DOCKER_HOST. Where no registry
# is reachable it is imported from BASE_ROOTFS (a debootstrap minbase tarball,
# made if missing), slimmed as the official image is (debuerreotype's slimify and
# Docker's apt settings): no docs, man pages, locales, apt lists or caches, and the
# dpkg and apt settings that keep later installs so. Used by the container scripts
# (docker-rebuild-bench.sh, docker-start-check.sh).
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
root="$work/slim-rootfs"
rm -rf "$root"
mkdir -p "$root"
tar -C "$root" -xf "$base_rootfs"
# What the official slim image leaves out, and the dpkg settings that keep it out.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/cache/debconf/*-old "$root"/var/log/*.log \
  "$root"/usr/share/groff/* "$root"/usr/share/info/* "$root"/usr/share/linda/* "$root"/usr/share/lintian/* \
  "$root"/usr/share/locale/* "$root"/usr/share/man/*
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
mkdir -p "$root/etc/dpkg/dpkg.cfg.d" "$root/etc/apt/apt.conf.d"
cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'CFG'
# As the official "slim" Debian image: files containers do not need stay out.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
CFG
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
printf 'Acquire::Languages "none";\n' >"$root/etc/apt/apt.conf.d/docker-no-languages"
printf 'Acquire::GzipIndexes "true";\n' >"$root/etc/apt/apt.conf.d/docker-gzip-indexes"
tar -C "$root" -c . | "$docker" import - debian:12-slim >/dev/null
rm -rf "$root"
