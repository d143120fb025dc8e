/** Where every host keeps bundles: a VM unpacks each site's under <root>/<site>. */
export const BUNDLE_ROOT = '/opt/cdktf-apache-wsgi';

/** Where a VM (an EC2 host, or what render's bundle is copied to) unpacks a site's bundle. */
export function vmBundleDir(siteName: string): string {
  return `${BUNDLE_ROOT}/${siteName}`;
}

/** Port Apache listens on inside a container unless told: unprivileged, so nothing needs NET_BIND_SERVICE. */
export const DEFAULT_CONTAINER_PORT = 8080;

/** Where the bundle sits inside a container image. */
export const IMAGE_BUNDLE_DIR = `${BUNDLE_ROOT}/site`;

/**
 * Where a DockerHost mounts the user's AWS credentials file: under root's home
 * (0700), so no daemon user can read it.
 */
export const CONTAINER_AWS_CREDENTIALS_FILE = '/root/.aws/credentials';

/**
 * The capabilities Apache's root parent needs, measured by running it under a
 * reduced bounding set: SETUID/SETGID to switch children and daemon groups to
 * their users, CHOWN to hand each daemon its socket (503 without), KILL to stop
 * daemons of other users (they outlive stop without).
 */
export const APACHE_CAPABILITIES: readonly string[] = ['CHOWN', 'SETUID', 'SETGID', 'KILL'];

/** Docker's default capability set (what a runtime that cannot add capabilities starts from). */
export const DEFAULT_CONTAINER_CAPABILITIES: readonly string[] = [
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'NET_RAW',
  'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
];

/**
 * Builds the image locally and pushes it to ECR once per content hash. ECR tags
 * are immutable, so a tag already there was pushed by an earlier apply. Every
 * value comes from the environment: nothing is spliced into the command.
 */
export const ECR_PUSH_SH = `set -eu
if aws ecr describe-images --region "$AWS_REGION" --repository-name "$REPOSITORY" --image-ids imageTag="$TAG" >/dev/null 2>&1; then
  echo "$IMAGE is already in ECR"
  exit 0
fi
aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "$REGISTRY"
docker build --platform "$PLATFORM" -t "$IMAGE" "$CONTEXT"
docker push "$IMAGE"
`;

/**
 * Runs the release phase of an image once, in a one-off container with the serving
 * container's flags (RUN_FLAGS, one a line), and fails when it fails. DockerHost runs it
 * from the destroy of a resource that depends on the container: Terraform destroys a
 * replaced container before it creates anything the container depends on, but after its
 * dependents' destroys; so the old container still serves while this runs, and a failure
 * stops the apply there. OLD_CONTENT (the resource's own state, empty at a site's first
 * release) = NEW_CONTENT means the image did not change (a destroy): nothing to release. IMAGE is built from CONTEXT when the engine lacks it.
 * Every value comes from the environment: nothing is spliced into the command (which holds
 * no `${`: Terraform would read it as a template).
 */
export const DOCKER_RELEASE_SH = `set -eu
if [ -n "$OLD_CONTENT" ] && [ "$OLD_CONTENT" = "$NEW_CONTENT" ]; then
  echo "site $SITE: the image did not change: no release commands to run"
  exit 0
fi
if [ "$(printenv CAW_SKIP_RELEASE || true)" = 1 ]; then
  echo "site $SITE: CAW_SKIP_RELEASE=1: the release commands are not run" >&2
  exit 0
fi
command -v docker >/dev/null || { echo "the release commands of DockerHost run with the docker CLI on the machine that deploys (DOCKER_HOST: the provider's engine)" >&2; exit 1; }
if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "site $SITE: building $IMAGE before the switch, while the old container serves"
  DOCKER_BUILDKIT=0 docker build -q -t "$IMAGE" "$CONTEXT" >/dev/null
fi
if [ -z "$SCRIPT" ]; then
  echo "site $SITE: $IMAGE is built; no release commands to run"
  exit 0
fi
set --
while IFS= read -r flag; do
  [ -z "$flag" ] || set -- "$@" "$flag"
done <<FLAGS
$RUN_FLAGS
FLAGS
docker rm -f "$NAME" >/dev/null 2>&1 || true
echo "site $SITE: running the release commands once, in a one-off container of $IMAGE, before the switch"
if docker run --rm --name "$NAME" --no-healthcheck "$@" "$IMAGE" sh "$SCRIPT"; then
  echo "site $SITE: release commands done"
else
  status=$?
  echo "site $SITE: the release commands failed (exit $status) in the new image; the serving container was not touched" >&2
  exit 1
fi
`;

/**
 * Runs the release phase once as a Fargate task of the new task definition (the
 * service's network, the command overridden to the release phase), waits until it
 * stops and fails with its exit code, reason and log unless the container exited 0.
 * Every value comes from the environment: nothing is spliced into the command.
 */
export const ECS_RELEASE_SH = `set -eu
command -v aws >/dev/null || { echo "the release commands of EcsFargateHost run with the AWS CLI on the machine that deploys" >&2; exit 1; }
task="$(aws ecs run-task --region "$AWS_REGION" --cluster "$CLUSTER" --task-definition "$TASK_DEFINITION" --launch-type FARGATE --count 1 \\
  --network-configuration "$NETWORK" --overrides "$OVERRIDES" --started-by cdktf-apache-wsgi-release --query 'tasks[0].taskArn' --output text)"
case "$task" in
  arn:*) ;;
  *) echo "site $SITE: ECS did not start the release task: $task" >&2; exit 1 ;;
esac
echo "site $SITE: release task $task started (task definition $TASK_DEFINITION)"
# One wait gives up after 10 minutes: keep waiting, bounded.
waits=0
until aws ecs wait tasks-stopped --region "$AWS_REGION" --cluster "$CLUSTER" --tasks "$task"; do
  waits=$((waits + 1))
  [ "$waits" -lt 6 ] || { echo "site $SITE: release task $task: aws ecs wait tasks-stopped gave up 6 times (an hour, or an error above)" >&2; exit 1; }
done
result="$(aws ecs describe-tasks --region "$AWS_REGION" --cluster "$CLUSTER" --tasks "$task" --query 'tasks[0].[containers[0].exitCode, stoppedReason]' --output text)"
code="$(printf '%s\\n' "$result" | cut -f 1)"
if [ "$code" = 0 ]; then
  echo "site $SITE: release commands done (task $task)"
  exit 0
fi
echo "site $SITE: the release commands failed in task $task (exit code, reason: $result); the service still runs the previous task definition. The task's log:" >&2
aws logs get-log-events --region "$AWS_REGION" --log-group-name "$LOG_GROUP" --log-stream-name "$LOG_STREAM_PREFIX/$(basename "$task")" --start-from-head \\
  --query 'events[].message' --output text | tr '\\t' '\\n' >&2 || true
exit 1
`;
