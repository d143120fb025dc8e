import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Construct } from 'constructs';
import { DAEMON_OPTIONS } from './platform/daemon-options';
import { DEFAULT_CONTAINER_PORT, IMAGE_BUNDLE_DIR } from './private/container';
import { onStackOutput } from './private/synth-output';
import { checkInt, propError } from './private/validate';
import { Bundle, writeBundle } from './provision/bundle';
import { imageBuildContext } from './provision/dockerfile';
import { HealthCheck } from './provision/health';
import { healthChecks } from './provision/recipe';
import { SiteHost, SiteHostProps } from './site-host';

/** Props of every host that runs the site as a container. */
export interface ContainerSiteHostProps extends SiteHostProps {
  /**
   * Port Apache listens on inside the container: unprivileged, so nothing needs NET_BIND_SERVICE.
   * @default 8080
   */
  readonly containerPort?: number;
}

/**
 * A host that runs the site as a container image built from the site's recipe
 * (one layer per recipe phase). The container starts as root with the recipe's
 * start phase: it writes the host facts, gives each data directory to its
 * group's user and resolves the groups' AppSecrets into files only that user reads
 * at every start, then execs Apache. A failing step stops the container with the
 * step's output. The release commands are the image's release phase, which each
 * host runs once per new image in a one-off container, before the switch; the
 * serving containers never run them.
 * The build context (Dockerfile + bundle) is written next to cdk.tf.json under
 * `docker/<site>/`, so cdk.tf.json refers to it by a relative path.
 */
export abstract class ContainerSiteHost extends SiteHost {
  /** Port Apache listens on inside the container. */
  public readonly containerPort: number;
  /** Build context directory, relative to the stack's output directory. */
  public readonly contextPath: string;

  protected constructor(scope: Construct, id: string, props: ContainerSiteHostProps) {
    super(scope, id, props);
    // A container runs wherever it is started: its daemon processes follow that machine's nproc.
    this.site._addHost(undefined);
    if (this.site.httpsPort !== undefined) {
      throw propError(this, 'site', this.site.node.path, 'a site without tls: a container publishes one plain HTTP port; end TLS in front of it (and set trustedProxies)');
    }
    this.containerPort = checkInt(this, 'containerPort', props.containerPort ?? DEFAULT_CONTAINER_PORT, 1024, 65_535);
    this.contextPath = `docker/${this.site.siteName}`;
    onStackOutput(this, (stackDir) => {
      const dir = path.join(stackDir, this.contextPath);
      fs.rmSync(dir, { recursive: true, force: true });
      writeBundle(this.buildContext(), dir);
    });
  }

  /**
   * Files of the build context: Dockerfile plus the bundle under bundle/ (with one script per recipe phase).
   * TypeScript only (provisioning layer types).
   * @jsii ignore
   */
  public buildContext(): Bundle {
    return imageBuildContext(this.provisionInput(), {
      port: this.containerPort, bundleDir: IMAGE_BUNDLE_DIR, appsUseContainerRole: this.appsUseContainerRole(),
      // Both container hosts run the release commands once per deploy, before the switch.
      releasePhase: true,
    });
  }


  /** SHA-256 of the build context: a new image exactly when something in it changed. */
  protected contentHash(): string {
    const hash = crypto.createHash('sha256');
    for (const [rel, file] of this.buildContext()) {
      hash.update(rel).update(String(file.mode)).update(file.content);
    }
    return hash.digest('hex');
  }

  /** Whether the apps keep the container role's credentials endpoint (see RecipeOptions.appsUseContainerRole). */
  protected appsUseContainerRole(): boolean {
    return false;
  }

  /**
   * Each daemon group's data directories, where the container has them (a volume is mounted at each).
   * TypeScript only (an anonymous object type).
   * @jsii ignore
   */
  protected dataDirectories(): { group: string; name: string; path: string }[] {
    const layout = this.site.deployedLayout();
    return this.site.toSpec().groups.flatMap((g) => g.dataDirectories.map((d) => ({ group: g.name, name: d.name, path: `${layout.dataDir}/${g.name}/${d.name}` })));
  }

  /**
   * Every app's health check, against the container's own port.
   * TypeScript only (provisioning layer types).
   * @jsii ignore
   */
  protected healthChecks(): HealthCheck[] {
    return healthChecks(this.site.toSpec(), `http://127.0.0.1:${this.containerPort}`);
  }

  /**
   * How long a graceful stop may take: Apache's graceful stop ends once every
   * daemon group has finished its requests or hit its graceful and shutdown timeouts.
   */
  protected defaultStopGraceSec(): number {
    const optionOf = (options: readonly { option: string; value: string | number }[], key: 'gracefulTimeoutSec' | 'shutdownTimeoutSec') =>
      Number(options.find((o) => o.option === DAEMON_OPTIONS[key].option)?.value ?? DAEMON_OPTIONS[key].default);
    const groups = this.site.toSpec().groups;
    return 5 + Math.max(0, ...groups.map((g) => optionOf(g.options, 'gracefulTimeoutSec') + optionOf(g.options, 'shutdownTimeoutSec')));
  }
}
