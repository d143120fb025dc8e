import { Container } from '@cdktf/provider-docker/lib/container';
import { Image } from '@cdktf/provider-docker/lib/image';
import { Lazy, TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { ContainerSiteHost, ContainerSiteHostProps } from './container-site-host';
import { APACHE_CAPABILITIES } from './private/container';
import { checkInt, checkPattern } from './private/validate';
import { IMAGE_HEALTH } from './provision/dockerfile';

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
  /** @default 'unless-stopped' */
  readonly restart?: string;
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
}

/**
 * A Docker image built from the site's recipe and a container running it on
 * one Docker engine. A redeploy builds the new image while the old container
 * serves, stops the old one gracefully, starts the new one and waits until it
 * is healthy.
 */
export class DockerHost extends ContainerSiteHost {
  public readonly image: Image;
  public readonly container: Container;

  constructor(scope: Construct, id: string, props: DockerHostProps) {
    super(scope, id, props);
    const hostPort = checkInt(this, 'hostPort', props.hostPort ?? 8080, 1, 65_535);
    const publishAddress = checkPattern(this, 'publishAddress', props.publishAddress ?? '127.0.0.1', /^[0-9a-fA-F:.]+$/, 'an IP address such as "127.0.0.1"');
    const restart = checkPattern(this, 'restart', props.restart ?? 'unless-stopped', /^(no|on-failure|always|unless-stopped)$/, 'no, on-failure, always or unless-stopped');
    const contentHash = Lazy.stringValue({ produce: () => this.contentHash() });

    const stopGraceSec = props.stopGraceSec === undefined ? undefined : checkInt(this, 'stopGraceSec', props.stopGraceSec, 1, 3600);
    const healthyTimeoutSec = checkInt(this, 'healthyTimeoutSec', props.healthyTimeoutSec
      ?? IMAGE_HEALTH.startPeriodSec + (IMAGE_HEALTH.retries + 1) * IMAGE_HEALTH.intervalSec, IMAGE_HEALTH.intervalSec, 3600);

    this.image = new Image(this, 'Image', {
      name: props.imageName ?? Lazy.stringValue({ produce: () => `${this.site.siteName}:${this.contentHash().slice(0, 12)}` }),
      keepLocally: true,
      buildAttribute: { context: this.contextPath },
      triggers: { content: contentHash },
      // The new image is built while the old container still serves; only then is the container replaced.
      lifecycle: { createBeforeDestroy: true },
    });
    this.container = new Container(this, 'Container', {
      name: `${this.site.siteName}-apache`,
      image: this.image.imageId,
      restart,
      ports: [{ internal: this.containerPort, external: hostPort, ip: publishAddress }],
      capabilities: { drop: ['ALL'], add: [...APACHE_CAPABILITIES] },
      securityOpts: ['no-new-privileges:true'],
      // Without a grace period the provider removes the old container with SIGKILL;
      // with one it stops it first with the image's STOPSIGNAL (Apache's graceful stop).
      destroyGraceSeconds: stopGraceSec ?? Lazy.numberValue({ produce: () => this.defaultStopGraceSec() }),
      // The image's HEALTHCHECK probes every app's health path; deploy returns once it passes.
      wait: true,
      waitTimeout: healthyTimeoutSec,
      mustRun: true,
    });
    new TerraformOutput(this, 'Url', { value: `http://${publishAddress}:${hostPort}/` });
  }
}
