#!/usr/bin/env bash
# Builds and runs the docker-site example's generated image on a local Docker
# engine and checks it over HTTP on 127.0.0.1:8080. Not part of CI: it needs a
# Docker engine. Where no registry is reachable, pass a base image made from
# debootstrap:  BASE_ROOTFS=/path/to/bookworm-minbase.tar scripts/docker-smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."
docker="${DOCKER:-docker}"
if [ -n "${BASE_ROOTFS:-}" ]; then
  # Imported and slimmed as the official image is (scripts/docker-base.sh), unless already there.
  base_work="$(mktemp -d /var/tmp/caw-docker-smoke.XXXXXX)"
  scripts/docker-base.sh "$base_work"
  rm -rf "$base_work"
fi
npm run synth >/dev/null
context=cdktf.out/stacks/docker-site/docker/site
DOCKER_BUILDKIT=0 "$docker" build --network host -t cdktf-apache-wsgi-smoke "$context" >/dev/null
# The capability set and options DockerHost gives the container.
"$docker" run -d --name cdktf-apache-wsgi-smoke --network host --cap-drop ALL \
  --cap-add CHOWN --cap-add SETUID --cap-add SETGID --cap-add KILL \
  --security-opt no-new-privileges:true cdktf-apache-wsgi-smoke >/dev/null
trap '"$docker" rm -f cdktf-apache-wsgi-smoke >/dev/null 2>&1 || true' EXIT
failed=0
for path in /api/env /env /static/style.css; do
  status=000
  for _ in $(seq 1 50); do
    status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:8080$path" || true)
    [ "$status" = 200 ] && break
    sleep 0.2
  done
  echo "GET $path -> $status"
  [ "$status" = 200 ] || failed=1
done
"$docker" exec cdktf-apache-wsgi-smoke ps -eo pid,user,args | head -5
start=$(date +%s.%N)
"$docker" stop cdktf-apache-wsgi-smoke >/dev/null
echo "docker stop took $(awk "BEGIN { print $(date +%s.%N) - $start }") s, exit code $("$docker" inspect --format '{{.State.ExitCode}}' cdktf-apache-wsgi-smoke)"
exit $failed
