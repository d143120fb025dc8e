import { Container } from '@cdktf/provider-docker/lib/container';
import { Image } from '@cdktf/provider-docker/lib/image';
import { Volume } from '@cdktf/provider-docker/lib/volume';
import { DataResource, Lazy, TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { ContainerSiteHost, ContainerSiteHostProps } from './container-site-host';
import { APACHE_CAPABILITIES, CONTAINER_AWS_CREDENTIALS_FILE, DOCKER_RELEASE_SH, IMAGE_BUNDLE_DIR } from './private/container';
import { checkInstanceOf, checkInt, checkPattern, propError } from './private/validate';
import { IMAGE_HEALTH } from './provision/dockerfile';
import { appCommands, BUNDLE, RELEASE_PHASE } from './provision/recipe';

/** The container's restart policy (`docker run --restart`). */
export class RestartPolicy {
  /** Never restarted: an exit or an engine restart leaves it stopped. */
  public static readonly NO = new RestartPolicy('no');
  /** Restarted when it exits with a non-zero status. */
  public static readonly ON_FAILURE = new RestartPolicy('on-failure');
  /** Always restarted, also at an engine restart after a `docker stop`. */
  public static readonly ALWAYS = new RestartPolicy('always');
  /** Always restarted, except at an engine restart after a `docker stop`. */
  public static readonly UNLESS_STOPPED = new RestartPolicy('unless-stopped');

  private constructor(
    /** Docker's name of the policy, e.g. 'unless-stopped'. */
    public readonly value: string,
  ) {}
}

export interface DockerHostProps extends ContainerSiteHostProps {
  /** @default 8080 */
  readonly hostPort?: number;
  /**
   * Host address the port is published on. Widen it (e.g. '0.0.0.0') only when asked.
   * @default '127.0.0.1'
   */
  readonly publishAddress?: string;
  /** @default - '<site name>:<content hash>' */
  readonly imageName?: string;
  /**
   * What the Docker engine does when the container exits or the engine restarts.
   * @default RestartPolicy.UNLESS_STOPPED
   */
  readonly restart?: RestartPolicy;
  /**
   * How long a replaced container may take to stop gracefully (Apache's graceful
   * stop: requests in flight finish) before it is killed.
   * @default - the longest graceful-timeout + shutdown-timeout of the site's daemon groups, plus 5 s
   */
  readonly stopGraceSec?: number;
  /**
   * How long `cdktf deploy` waits for a new container to report healthy (every
   * app's health path answered) before it fails.
   * @default - the image health check's start period plus (retries + 1) intervals: 80 s
   */
  readonly healthyTimeoutSec?: number;
  /**
   * An AWS shared credentials file on the Docker host (absolute path), mounted
   * read-only where only root in the container reads it: what the container's
   * start resolves the site's AppSecrets with, off AWS. Only this path appears
   * in cdk.tf.json; the apps never see the credentials. On EC2 the instance role
   * is used instead (IMDSv2, which needs a hop limit of 2 to reach a container).
   * @default - the container's own environment, then the instance role
   */
  readonly awsCredentialsFile?: string;
  /**
   * Profile of awsCredentialsFile to use.
   * @default 'default'
   */
  readonly awsProfile?: string;
}

/**
 * A Docker image built from the site's recipe and a container running it on
 * one Docker engine. A redeploy builds the new image while the old container
 * serves, stops the old one gracefully, starts the new one and waits until it
 * is healthy. Each daemon group data directory is a named volume, kept when the
 * container is replaced; the container's start resolves the AppSecrets (see
 * ContainerSiteHost). Release commands run once per new image in a one-off
 * container of it (`docker run --rm`, with the docker CLI of the deploying machine
 * and its DOCKER_HOST) while the old container still serves: a failing one fails
 * the deploy and the old container keeps serving.
 */
export class DockerHost extends ContainerSiteHost {
  public readonly image: Image;
  public readonly container: Container;
  /** One named volume per daemon group data directory: kept when the container is replaced. */
  public readonly volumes: Volume[];
  /**
   * With release commands: runs them in a one-off container of the first image, before the first container.
   * @default - none without release commands
   */
  public readonly firstRelease?: DataResource;
  /**
   * Replaced with every new image: its replacement builds the new image while the old container
   * still serves and, with release commands, runs them in a one-off container of it, stopping the
   * deploy when they fail.
   */
  public readonly release: DataResource;

  constructor(scope: Construct, id: string, props: DockerHostProps) {
    super(scope, id, props);
    const hostPort = checkInt(this, 'hostPort', props.hostPort ?? 8080, 1, 65_535);
    const publishAddress = checkPattern(this, 'publishAddress', props.publishAddress ?? '127.0.0.1', /^[0-9a-fA-F:.]+$/, 'an IP address such as "127.0.0.1"');
    const restart = checkInstanceOf(this, 'restart', props.restart, RestartPolicy, RestartPolicy.UNLESS_STOPPED,
      'a RestartPolicy: RestartPolicy.NO, ON_FAILURE, ALWAYS or UNLESS_STOPPED');
    const contentHash = Lazy.stringValue({ produce: () => this.contentHash() });
    const credentialsFile = props.awsCredentialsFile === undefined ? undefined
      : checkPattern(this, 'awsCredentialsFile', props.awsCredentialsFile, /^\/[A-Za-z0-9._@+\/-]+$/, 'an absolute path on the Docker host such as "/etc/caw/aws-credentials"');
    if (props.awsProfile !== undefined && credentialsFile === undefined) {
      throw propError(this, 'awsProfile', props.awsProfile, 'no awsProfile without awsCredentialsFile');
    }
    const profile = checkPattern(this, 'awsProfile', props.awsProfile ?? 'default', /^[A-Za-z0-9_.+-]{1,64}$/, 'a profile name such as "default"');

    const stopGraceSec = props.stopGraceSec === undefined ? undefined : checkInt(this, 'stopGraceSec', props.stopGraceSec, 1, 3600);
    const healthyTimeoutSec = checkInt(this, 'healthyTimeoutSec', props.healthyTimeoutSec
      ?? IMAGE_HEALTH.startPeriodSec + (IMAGE_HEALTH.retries + 1) * IMAGE_HEALTH.intervalSec, IMAGE_HEALTH.intervalSec, 3600);

    // The step before the switch builds and runs this content-addressed tag: a fixed imageName names the old image until the provider rebuilds it.
    const contentTag = Lazy.stringValue({ produce: () => `${this.site.siteName}:${this.contentHash().slice(0, 12)}` });
    const imageName = props.imageName === undefined ? contentTag
      : checkPattern(this, 'imageName', props.imageName, /^[A-Za-z0-9][A-Za-z0-9._\/:@-]{0,254}$/, 'a Docker image name such as "mysite:1"');
    this.image = new Image(this, 'Image', {
      name: imageName,
      keepLocally: true,
      buildAttribute: { context: this.contextPath },
      triggers: { content: contentHash },
      lifecycle: { createBeforeDestroy: true },
    });
    // Volumes are resources of their own: made now, from the daemon groups declared so far.
    const dataDirs = this.dataDirectories();
    const volumeNames = dataDirs.map((d) => `${this.site.siteName}-${d.group}-${d.name}`);
    this.volumes = dataDirs.map((d, i) => new Volume(this, `Data-${d.group}-${d.name}`, { name: volumeNames[i] }));
    this.node.addValidation({
      validate: () => {
        const late = this.dataDirectories().filter((d) => !dataDirs.some((e) => e.path === d.path));
        return late.map((d) => `${this.node.path}: data directory ${d.name} of daemon group ${d.group} was declared after the DockerHost, which has no volume for it; expected the DockerHost created after every daemon group`);
      },
    });
    // What the serving container and the release's one-off container both run with.
    const securityOpts = ['no-new-privileges:true'];
    const credentialsVolume = credentialsFile ? [{ hostPath: credentialsFile, containerPath: CONTAINER_AWS_CREDENTIALS_FILE, readOnly: true }] : [];
    const env = credentialsFile ? [`AWS_SHARED_CREDENTIALS_FILE=${CONTAINER_AWS_CREDENTIALS_FILE}`, `AWS_PROFILE=${profile}`] : [];
    const hasRelease = appCommands(this.provisionInput(), 'release').length > 0;
    // The same flags as docker run arguments, one a line; volumes by name (literals: a destroy provisioner may reference nothing else).
    const releaseEnvironment = {
      SITE: this.site.siteName, NAME: `${this.site.siteName}-release`,
      SCRIPT: `${IMAGE_BUNDLE_DIR}/${BUNDLE.phaseScript(RELEASE_PHASE)}`, CONTEXT: this.contextPath,
      RUN_FLAGS: [
        '--cap-drop', 'ALL', ...APACHE_CAPABILITIES.flatMap((c) => ['--cap-add', c]), ...securityOpts.flatMap((o) => ['--security-opt', o]),
        ...dataDirs.flatMap((d, i) => ['-v', `${volumeNames[i]}:${d.path}`]),
        ...credentialsVolume.flatMap((v) => ['-v', `${v.hostPath}:${v.containerPath}:ro`]),
        ...env.flatMap((e) => ['-e', e]),
      ].join('\n'),
    };
    const releaseExec = (environment: Record<string, string>) => ({
      type: 'local-exec' as const, command: DOCKER_RELEASE_SH, interpreter: ['/bin/sh', '-c'], environment: { ...releaseEnvironment, ...environment },
    });
    // A site's first image: its release runs before the first container. Never replaced.
    this.firstRelease = hasRelease
      ? new DataResource(this, 'FirstRelease', { provisioners: [releaseExec({ IMAGE: this.image.imageId, OLD_CONTENT: '', NEW_CONTENT: contentHash })], dependsOn: this.volumes })
      : undefined;
    this.container = new Container(this, 'Container', {
      name: `${this.site.siteName}-apache`,
      image: this.image.imageId,
      restart: restart.value,
      ports: [{ internal: this.containerPort, external: hostPort, ip: publishAddress }],
      capabilities: { drop: ['ALL'], add: [...APACHE_CAPABILITIES] },
      securityOpts,
      // The start phase gives each new volume to its group's user (mode 0700).
      volumes: [
        ...dataDirs.map((d, i) => ({ volumeName: this.volumes[i].name, containerPath: d.path })),
        ...credentialsVolume,
      ],
      env: env.length > 0 ? env : undefined,
      // Without a grace period the provider removes the old container with SIGKILL;
      // with one it stops it first with the image's STOPSIGNAL (Apache's graceful stop).
      destroyGraceSeconds: stopGraceSec ?? Lazy.numberValue({ produce: () => this.defaultStopGraceSec() }),
      // The image's HEALTHCHECK probes every app's health path; deploy returns once it passes.
      wait: true,
      waitTimeout: healthyTimeoutSec,
      mustRun: true,
      dependsOn: this.firstRelease ? [this.firstRelease] : undefined,
    });
    // Terraform destroys a replaced container before it creates or updates anything the container
    // depends on (the new image, a release resource), but after the destroys of its dependents:
    // so the release of a new image runs from the destroy of this dependent, replaced with every
    // image, while the old container still serves. Its destroy sees the current configuration's
    // literals (the new image's name and content hash) and its own state (the old hash).
    // Without release commands it only builds the new image, so the old container is stopped
    // just before the new one starts (the provider's own build is then a cache hit).
    this.release = new DataResource(this, 'Release', {
      triggersReplace: { content: contentHash },
      dependsOn: [this.container],
      provisioners: [{
        ...releaseExec({ IMAGE: contentTag, NEW_CONTENT: contentHash, OLD_CONTENT: '${self.triggers_replace.content}', ...(hasRelease ? {} : { SCRIPT: '' }) }),
        when: 'destroy',
      }],
    });
    new TerraformOutput(this, 'Url', { value: `http://${publishAddress}:${hostPort}/` });
  }
}
