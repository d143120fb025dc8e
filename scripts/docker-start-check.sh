#!/usr/bin/env bash
# What a container start does before traffic, on a real Docker engine: builds the
# image of test/support/container-start-site.ts (an app that reads an AppSecret and
# a data directory at import, a release command that appends to that directory),
# runs it as DockerHost does (capabilities, volumes from cdk.tf.json) with the secret
# served by the SigV4-checking stand-in (test/realapps/aws-stand-in.ts) and static
# credentials given at `docker run`, and the release commands as DockerHost's apply does
# (its release script and environment from cdk.tf.json: a one-off container of the new
# image, before the switch), and checks:
#   - the app sees the secret at import; the release ran as the group's user, with it;
#   - the secrets file is 0400 and the group's user's; the data directory 0700 and its;
#   - Apache (PID 1) has no AWS credentials in its environment; the value is in no log;
#   - the secret value is in no image layer (`docker save`) nor `docker history`;
#   - a restart of the container skips the release;
#   - a failing release of a new image fails the step with its own output while the
#     old container keeps serving (Terraform replaces the container only after it);
#   - the data survives a container replacement, whose credentials come from DockerHost's
#     awsCredentialsFile alone, unreadable to the apps; the deploy's release ran once,
#     before it, and the new container's start does not run it again;
#   - an unresolvable secret stops the container non-zero with the client's error.
# Uses a private engine with a bridge of its own (cawstart0, 172.31.217.1/24; CAW_BRIDGE
# and CAW_BRIDGE_CIDR override them) so it can run beside docker-rebuild-bench.sh.
# Exits 1 when a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
docker="${DOCKER:-docker}"
work="$(mktemp -d /var/tmp/caw-docker-start.XXXXXX)"
export CAW_BRIDGE="${CAW_BRIDGE:-cawstart0}" CAW_BRIDGE_CIDR="${CAW_BRIDGE_CIDR:-172.31.217.1/24}"
bridge_ip="${CAW_BRIDGE_CIDR%/*}"
engine="" standin=""
cleanup() {
  "$docker" rm -f cawstart-a cawstart-b cawstart-nosecret startsite-release >/dev/null 2>&1 || true
  if [ -n "$standin" ]; then kill "$standin" 2>/dev/null || true; fi
  if [ -n "$engine" ]; then scripts/docker-engine.sh stop "$work/engine"; fi
  rm -rf "$work"
}
trap cleanup EXIT
log() { printf '[start-check] %s\n' "$*" >&2; }

. scripts/docker-env.sh

log "synthesizing test/support/container-start-site.ts (and its failing-release variant)"
# DockerHost's awsCredentialsFile: a file on the Docker host (this machine), root's only.
creds_file="$work/aws-credentials"
export CAW_AWS_CREDENTIALS_FILE="$creds_file" CAW_AWS_PROFILE=caw-start
CDKTF_OUTDIR="$work/ok" npx ts-node --project tsconfig.dev.json test/support/container-start-site.ts >/dev/null
CAW_FAIL_RELEASE=1 CDKTF_OUTDIR="$work/fail" npx ts-node --project tsconfig.dev.json test/support/container-start-site.ts >/dev/null
stack="$work/ok/stacks/start-site"
arn="$(node -e 'console.log(require(process.argv[1])[0].arn)' "$stack/docker/startsite/bundle/secrets/web.json")"
# What DockerHost gives the container: its capabilities and its volumes, as docker run flags.
mapfile -t run_flags < <(node -e '
  const r = require(process.argv[1]).resource;
  const c = Object.values(r.docker_container)[0];
  // ${docker_volume.<id>.name} names a volume resource
  const volume = (ref) => r.docker_volume[/^\$\{docker_volume\.(.+)\.name\}$/.exec(ref)[1]].name;
  const flags = ["--cap-drop", "ALL", ...c.capabilities.add.flatMap((x) => ["--cap-add", x]), ...c.security_opts.flatMap((x) => ["--security-opt", x])];
  for (const v of c.volumes) flags.push("-v", v.host_path ? `${v.host_path}:${v.container_path}:ro` : `${volume(v.volume_name)}:${v.container_path}`);
  for (const e of c.env ?? []) flags.push("-e", e);
  console.log(flags.join("\n"));' "$stack/cdk.tf.json")
data_dir="$(node -e 'console.log(Object.values(require(process.argv[1]).resource.docker_container)[0].volumes.find((v) => v.volume_name).container_path)' "$stack/cdk.tf.json")"

secret="caw-start-secret-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
npx ts-node --project tsconfig.dev.json test/realapps/aws-stand-in.ts "$bridge_ip" "$arn=$secret" >"$work/standin.log" 2>&1 &
standin=$!
for _ in $(seq 1 150); do grep -q '^ready ' "$work/standin.log" && break; sleep 0.2; done
read -r _ standin_url key_id key_secret < <(grep -m 1 '^ready ' "$work/standin.log") || { cat "$work/standin.log" >&2; exit 1; }
# Static credentials at `docker run` (they come first), the stand-in's endpoint in the SDKs' variable;
# the same credentials in the mounted file, which the replacement container uses alone.
endpoint=(-e "AWS_ENDPOINT_URL_SSM=$standin_url")
creds=(-e "AWS_ACCESS_KEY_ID=$key_id" -e "AWS_SECRET_ACCESS_KEY=$key_secret" "${endpoint[@]}")
(umask 077; printf '[default]\naws_access_key_id = AKIDNOTTHISONE\naws_secret_access_key = wrong\n\n[caw-start]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$key_id" "$key_secret" >"$creds_file")

build() { # dir tag
  local start; start="$(date +%s)"
  DOCKER_BUILDKIT=0 "$docker" build --network host --force-rm -t "$2" "$1" >"$work/build-$2.log" 2>&1 \
    || { tail -n 30 "$work/build-$2.log" >&2; exit 1; }
  log "built $2 in $(( $(date +%s) - start )) s"
}
wait_healthy() { # name
  for _ in $(seq 1 400); do
    case "$("$docker" inspect --format '{{.State.Status}} {{.State.Health.Status}}' "$1")" in
      'running healthy') return 0 ;;
      exited*) "$docker" logs "$1" >&2; return 1 ;;
    esac
    sleep 0.2
  done
  "$docker" logs "$1" >&2
  return 1
}
get() { curl -fsS --max-time 5 "http://$("$docker" inspect --format '{{.NetworkSettings.IPAddress}}' "$1"):8080$2"; }

status=0
results=()
check() { # description, then a command: PASS when it succeeds
  local what="$1"; shift
  if "$@"; then results+=("PASS  $what"); else results+=("FAIL  $what"); status=1; fi
}
# DockerHost's release step as cdk.tf.json has it (its script and environment), run the way
# Terraform's local-exec does, on a given image; the stand-in's endpoint added to its flags.
release() { # stack dir, resource id prefix (FirstRelease or Release), image, old content hash; output in $work/release.out/.err
  node -e '
    const [stackDir, prefix, image, old, endpoint] = process.argv.slice(1);
    const data = require(`${stackDir}/cdk.tf.json`).resource.terraform_data;
    const exec = Object.entries(data).find(([k]) => k.startsWith(`Host_${prefix}_`))[1].provisioner[0]["local-exec"];
    const env = { ...process.env, ...exec.environment, IMAGE: image, OLD_CONTENT: old, RUN_FLAGS: `${exec.environment.RUN_FLAGS}\n-e\n${endpoint}` };
    const r = require("child_process").spawnSync(exec.interpreter[0], [...exec.interpreter.slice(1), exec.command], { cwd: stackDir, env, stdio: "inherit" });
    process.exit(r.status ?? 1);' "$1" "$2" "$3" "$4" "${endpoint[1]}" >"$work/release.out" 2>"$work/release.err"
}

build "$work/ok/stacks/start-site/docker/startsite" caw-start:ok
build "$work/fail/stacks/start-site/docker/startsite" caw-start:fail

log "the first image's release (DockerHost's FirstRelease), then the first container"
release_exit=0; release "$stack" FirstRelease caw-start:ok "" || release_exit=$?
check "the first release ran in a one-off container: exit $release_exit, '$(tail -n 1 "$work/release.out")'" \
  sh -c "[ $release_exit = 0 ] && grep -q 'site startsite: release commands done' '$work/release.out'"
check "the one-off container is gone ($("$docker" ps -a -q --filter name=startsite-release | wc -l) left)" test "$("$docker" ps -a -q --filter name=startsite-release | wc -l)" = 0
"$docker" run -d --name cawstart-a "${run_flags[@]}" "${creds[@]}" caw-start:ok >/dev/null
wait_healthy cawstart-a || { echo "FAIL: the container did not get healthy"; exit 1; }
want_sha="$(printf '%s' "$secret" | sha256sum | cut -d' ' -f1)"
check "the app sees the secret at import (sha256 over HTTP)" test "$(get cawstart-a /secret-sha256)" = "$want_sha"
releases="$(get cawstart-a /releases)"
check "the release ran as the group's user, with the secret: '$(printf '%s' "$releases" | head -n 1)'" test "$releases" = "release ran as wsgi-web, secret set"
secrets_stat="$("$docker" exec cawstart-a stat -c '%U:%G %a' /srv/wsgi/startsite/secrets/web.json)"
check "the secrets file is $secrets_stat (want wsgi-web:wsgi-web 400)" test "$secrets_stat" = "wsgi-web:wsgi-web 400"
data_stat="$("$docker" exec cawstart-a stat -c '%U:%G %a' "$data_dir")"
check "the data directory (a named volume) is $data_stat (want wsgi-web:wsgi-web 700)" test "$data_stat" = "wsgi-web:wsgi-web 700"
pid1_creds="$("$docker" exec cawstart-a sh -c "tr '\\0' '\\n' </proc/1/environ | grep -c -E '^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|SHARED_CREDENTIALS_FILE|PROFILE|CONTAINER_)' || true")"
check "Apache (PID 1) has $pid1_creds AWS credential variables in its environment (want 0)" test "$pid1_creds" = 0
in_logs="$("$docker" logs cawstart-a 2>&1 | grep -c -F "$secret" || true)"
check "the secret value is not in the container's log ($in_logs hits)" test "$in_logs" = 0
"$docker" save caw-start:ok -o "$work/image.tar"
# docker save holds each layer as an uncompressed tar: a file's bytes appear as they are.
tar -xOf "$work/image.tar" >"$work/layers.bin"
in_layers="$(grep -c -a -F "$secret" "$work/layers.bin" || true)"
check "the search finds what is in the layers: the secret's ARN ($(grep -c -a -F "$arn" "$work/layers.bin" || true) hits)" grep -q -a -F "$arn" "$work/layers.bin"
check "the secret value is in no image layer (docker save: $in_layers hits)" test "$in_layers" = 0
in_history="$("$docker" history --no-trunc caw-start:ok | grep -c -F "$secret" || true)"
check "the secret value is not in docker history ($in_history hits)" test "$in_history" = 0
signed="$(grep -c 'AmazonSSM.GetParameter .* signature ok' "$work/standin.log" || true)"
check "the stand-in verified the SigV4 signature of $signed GetParameter call(s)" test "$signed" -ge 1

log "restarting the container (docker restart, as the restart policy would)"
"$docker" restart --time 25 cawstart-a >/dev/null
wait_healthy cawstart-a || { echo "FAIL: the restarted container did not get healthy"; exit 1; }
check "a restart skips the release (release log has $(get cawstart-a /releases | wc -l) line, want 1) and still serves the secret" \
  test "$(get cawstart-a /releases | wc -l)" = 1 -a "$(get cawstart-a /secret-sha256)" = "$want_sha"

log "a new image whose release fails, while the old container serves (DockerHost's Release, run before the container is replaced)"
fail_exit=0; release "$work/fail/stacks/start-site" Release caw-start:fail previous-image || fail_exit=$?
check "the failing release fails the step: exit $fail_exit (want non-zero)" test "$fail_exit" != 0
check "with its own output: '$(grep -m 1 'migration failed' "$work/release.err" || true)'" grep -q 'migration failed: no such table: caw_items' "$work/release.err"
check "and says the serving container was not touched" grep -q 'the serving container was not touched' "$work/release.err"
check "the old container still serves the old version: $("$docker" inspect --format '{{.State.Health.Status}}' cawstart-a), secret over HTTP" \
  test "$("$docker" inspect --format '{{.State.Health.Status}}' cawstart-a)" = healthy -a "$(get cawstart-a /secret-sha256)" = "$want_sha"

log "a new deploy: its release first (the old container serving), then the replacement"
before="$(get cawstart-a /releases | wc -l)"
release_exit=0; release "$stack" Release caw-start:ok previous-image || release_exit=$?
check "the deploy's release ran while the old container served: exit $release_exit, old container $("$docker" inspect --format '{{.State.Health.Status}}' cawstart-a)" \
  test "$release_exit" = 0 -a "$("$docker" inspect --format '{{.State.Health.Status}}' cawstart-a)" = healthy
same_exit=0; release "$stack" Release caw-start:ok "$(node -e 'console.log(Object.values(require(process.argv[1]).resource.docker_image)[0].triggers.content)' "$stack/cdk.tf.json")" || same_exit=$?
check "an unchanged image (cdktf destroy) runs no release: exit $same_exit, '$(tail -n 1 "$work/release.out")'" \
  sh -c "[ $same_exit = 0 ] && grep -q 'the image did not change' '$work/release.out'"

log "replacing the container (same image, same volume; credentials from the mounted file only)"
"$docker" stop --time 25 cawstart-a >/dev/null
"$docker" rm cawstart-a >/dev/null
"$docker" run -d --name cawstart-b "${run_flags[@]}" "${endpoint[@]}" caw-start:ok >/dev/null
wait_healthy cawstart-b || { echo "FAIL: the replacement did not get healthy"; exit 1; }
check "with only awsCredentialsFile (profile caw-start), the app sees the secret" test "$(get cawstart-b /secret-sha256)" = "$want_sha"
check "the group's user cannot read the mounted credentials file" \
  sh -c "! '$docker' exec -u wsgi-web cawstart-b cat /root/.aws/credentials >/dev/null 2>&1"
after="$(get cawstart-b /releases | wc -l)"
check "the data survives a container replacement; the deploy's release ran once, and the new container's start not again (release log: $before lines before, $after after, want one new)" \
  test "$after" = $((before + 1))
"$docker" rm -f cawstart-b >/dev/null

log "an unresolvable secret (credentials the stand-in refuses)"
"$docker" run -d --name cawstart-nosecret "${run_flags[@]}" -e AWS_ACCESS_KEY_ID="$key_id" -e AWS_SECRET_ACCESS_KEY=not-the-key "${endpoint[@]}" caw-start:ok >/dev/null
nosecret_exit="$(timeout 120 "$docker" wait cawstart-nosecret || echo timeout)"
"$docker" logs cawstart-nosecret >/dev/null 2>"$work/nosecret.err" || true
check "an unresolvable secret stops the container: exit $nosecret_exit (want non-zero), '$(grep -m 1 -o 'HTTP 400.*InvalidSignatureException' "$work/nosecret.err" || true)'" \
  sh -c "[ '$nosecret_exit' != 0 ] && [ '$nosecret_exit' != timeout ] && grep -q InvalidSignatureException '$work/nosecret.err'"

echo "== Container start (secrets, release commands, data directories) on $("$docker" info --format '{{.ServerVersion}}, {{.Driver}}') =="
printf '%s\n' "${results[@]}"
exit $status
