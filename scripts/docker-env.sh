# Sourced by the container checks (docker-rebuild-bench.sh, docker-start-check.sh), after
# they set `work`, `docker` and `log`: uses $DOCKER_HOST when set, else starts a private
# engine under $work/engine (sets engine=started: the caller's cleanup stops it), then
# makes the debian:12-slim stand-in the images build from.
if [ -z "${DOCKER_HOST:-}" ]; then
  DOCKER_HOST="$(scripts/docker-engine.sh start "$work/engine")"
  export DOCKER_HOST
  engine=started
fi
log "engine: $("$docker" info --format '{{.ServerVersion}}, {{.Driver}}')"
scripts/docker-base.sh "$work"
