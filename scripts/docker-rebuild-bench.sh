#!/usr/bin/env bash
# Rebuild and redeploy figures for the docker-site example on a real Docker
# engine, side by side in one run:
#   single  - the previous Dockerfile: the whole recipe in one RUN (baseline)
#   layered - the generated Dockerfile: one layer per recipe phase
# 1. Builds both from scratch, changes one line of app code, rebuilds both:
#    prints build times, the rebuild/full ratio and the image sizes.
# 2. Redeploys each under a request loop on 127.0.0.1 and prints the seconds
#    without service and the failed requests:
#    before - the previous Terraform ordering: container force-removed, then the
#             image built, then the new container started (no grace, no wait);
#    after  - DockerHost's ordering now: image built first (create_before_destroy)
#             while the old container serves, old one stopped gracefully
#             (destroy_grace_seconds), new one started and waited on until
#             healthy (wait/wait_timeout).
# Uses $DOCKER_HOST when set, else starts a private engine (scripts/docker-engine.sh)
# and stops it at exit. debian:12-slim comes from scripts/docker-base.sh.
# Exits 1 when a code-only rebuild takes 10% of a full build or more, the
# redeploy leaves the site unavailable for more than 5 s, or the image is over
# 313 MB (60% of the first image's 521 MB).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
docker="${DOCKER:-docker}"
work="$(mktemp -d /var/tmp/caw-docker-bench.XXXXXX)"
port="${PORT:-18080}"
size_limit=313
engine=""
cleanup() {
  "$docker" rm -f caw-bench-before caw-bench-after >/dev/null 2>&1 || true
  if [ -n "$engine" ]; then scripts/docker-engine.sh stop "$work/engine"; fi
  rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
log() { printf '[bench] %s\n' "$*" >&2; }

. scripts/docker-env.sh

log "synthesizing examples/docker-site"
CDKTF_OUTDIR="$work/out" npx ts-node --project tsconfig.dev.json examples/docker-site/main.ts >/dev/null
context="$work/out/stacks/docker-site/docker/site"
grace="$(node -e 'const r = require(process.argv[1]).resource.docker_container; console.log(Object.values(r)[0].destroy_grace_seconds)' "$work/out/stacks/docker-site/cdk.tf.json")"
wait_timeout="$(node -e 'const r = require(process.argv[1]).resource.docker_container; console.log(Object.values(r)[0].wait_timeout)' "$work/out/stacks/docker-site/cdk.tf.json")"

# The previous Dockerfile, from the same bundle: copy everything, run provision.sh once.
cp -r "$context" "$work/layered"
cp -r "$context" "$work/single"
{
  echo 'FROM debian:12-slim'
  echo 'COPY bundle/ /opt/cdktf-apache-wsgi/site/'
  echo 'RUN sh /opt/cdktf-apache-wsgi/site/provision.sh'
  grep -E '^(EXPOSE|HEALTHCHECK|STOPSIGNAL|CMD) ' "$context/Dockerfile"
} >"$work/single/Dockerfile"

build() { # variant tag [extra args]: prints seconds
  local start; start="$(now)"
  DOCKER_BUILDKIT=0 "$docker" build --network host --force-rm "${@:3}" -t "caw-bench-$1:$2" "$work/$1" >"$work/build-$1-$2.log" 2>&1 \
    || { tail -n 30 "$work/build-$1-$2.log" >&2; exit 1; }
  since "$start"
}
size_mb() { "$docker" image inspect --format '{{.Size}}' "$1" | awk '{ printf "%.0f", $1 / 1e6 }'; }
change_code() { # variant version: one line of the web app's code
  sed -i "s/^    body = b'Hello from mod_wsgi.*\\\\n'\$/    body = b'Hello from mod_wsgi, version $2\\\\n'/" "$work/$1/bundle/apps/web-app/wsgi.py"
  grep -q "version $2" "$work/$1/bundle/apps/web-app/wsgi.py" || { echo "code change failed" >&2; exit 1; }
}
run() { # name image
  "$docker" run -d --name "$1" -p "127.0.0.1:$port:8080" --restart unless-stopped \
    --cap-drop ALL --cap-add CHOWN --cap-add SETUID --cap-add SETGID --cap-add KILL \
    --security-opt no-new-privileges:true "$2" >/dev/null
}
wait_healthy() { # name: like the provider's wait/wait_timeout
  for _ in $(seq 1 $((wait_timeout * 5))); do
    [ "$("$docker" inspect --format '{{.State.Health.Status}}' "$1")" = healthy ] && return 0
    sleep 0.2
  done
  echo "$1 not healthy after ${wait_timeout} s" >&2
  return 1
}
serving() { curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; }
loop_start() { rm -f "$work/stop"; python3 scripts/request-loop.py "http://127.0.0.1:$port/" "$work/stop" 300 "$work/loop-$1.json" & loop_pid=$!; sleep 1; }
loop_stop() { sleep 1; touch "$work/stop"; wait "$loop_pid"; }
field() { node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]])' "$work/loop-$1.json" "$2"; }

log "full builds (no cache)"
single_full="$(build single 1 --no-cache)"
layered_full="$(build layered 1 --no-cache)"
base_size="$(size_mb debian:12-slim)"
single_size="$(size_mb caw-bench-single:1)"
layered_size="$(size_mb caw-bench-layered:1)"

log "redeploy before: force-remove, build, start"
run caw-bench-before caw-bench-single:1
wait_healthy caw-bench-before
loop_start before
change_code single 2
deploy_start="$(now)"
"$docker" rm -f caw-bench-before >/dev/null
single_code="$(build single 2)"
run caw-bench-before caw-bench-single:2
before_deploy="$(since "$deploy_start")"
for _ in $(seq 1 $((wait_timeout * 20))); do serving && break; sleep 0.05; done
loop_stop
"$docker" rm -f caw-bench-before >/dev/null

log "redeploy after: build, graceful stop, start, wait until healthy"
run caw-bench-after caw-bench-layered:1
wait_healthy caw-bench-after
loop_start after
change_code layered 2
deploy_start="$(now)"
layered_code="$(build layered 2)"
stop_start="$(now)"
"$docker" stop --time "$grace" caw-bench-after >/dev/null
stop_sec="$(since "$stop_start")"
stop_exit="$("$docker" inspect --format '{{.State.ExitCode}}' caw-bench-after)"
"$docker" rm caw-bench-after >/dev/null
run caw-bench-after caw-bench-layered:2
wait_healthy caw-bench-after
after_deploy="$(since "$deploy_start")"
loop_stop
"$docker" rm -f caw-bench-after >/dev/null

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", 100 * a / b }'; }
echo "== Image builds (docker-site example, $("$docker" info --format '{{.Driver}}'); seconds =="
printf '%-8s %10s %14s %12s %10s %16s\n' variant full code-change rebuild/full 'size MB' 'MB over base'
printf '%-8s %10s %14s %11s%% %10s %16s\n' single "$single_full" "$single_code" "$(ratio "$single_code" "$single_full")" "$single_size" $((single_size - base_size))
printf '%-8s %10s %14s %11s%% %10s %16s\n' layered "$layered_full" "$layered_code" "$(ratio "$layered_code" "$layered_full")" "$layered_size" $((layered_size - base_size))
echo "base image debian:12-slim: $base_size MB; layered/single image size: $(ratio "$layered_size" "$single_size")%"
echo "image size: $layered_size MB, limit $size_limit MB (60% of the 521 MB the one-RUN image of the first main measured)"
echo "== Redeploy after a one-line code change (request every 20 ms to 127.0.0.1:$port/) =="
printf '%-8s %10s %10s %16s %18s %12s\n' ordering requests failed 'unavailable s' 'longest outage s' 'deploy s'
for v in before after; do
  d="$before_deploy"; [ "$v" = after ] && d="$after_deploy"
  printf '%-8s %10s %10s %16s %18s %12s\n' "$v" "$(field "$v" requests)" "$(field "$v" failed)" "$(field "$v" unavailable_sec)" "$(field "$v" longest_outage_sec)" "$d"
done
echo "after: graceful stop took $stop_sec s (exit $stop_exit, grace ${grace} s); new code served: $(field after last_body)"

status=0
if awk -v a="$layered_code" -v b="$layered_full" 'BEGIN { exit !(a >= 0.1 * b) }'; then
  echo "FAIL: a code-only rebuild took $(ratio "$layered_code" "$layered_full")% of a full build (limit 10%)"; status=1
fi
if awk -v a="$(field after unavailable_sec)" 'BEGIN { exit !(a > 5) }'; then
  echo "FAIL: redeploy left the site unavailable for $(field after unavailable_sec) s (limit 5 s)"; status=1
fi
if [ "$layered_size" -gt "$size_limit" ]; then
  echo "FAIL: the image is $layered_size MB (limit $size_limit MB)"; status=1
fi
case "$(field after last_body)" in *"version 2"*) ;; *) echo "FAIL: the new code is not served"; status=1 ;; esac
exit $status
