/** Where every host keeps bundles: a VM unpacks each site's under <root>/<site>. */
export const BUNDLE_ROOT = '/opt/cdktf-apache-wsgi';

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
