import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Container } from '@cdktf/provider-docker/lib/container';
import { Image } from '@cdktf/provider-docker/lib/image';
import { Lazy, TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { Bundle, BundleFile, writeBundle } from './provision/bundle';
import { HOST_PROCESSES_VARIABLE, needsHostCpus, PROCESSES_PER_CPU } from './conf/site-spec';
import { renderDockerfile } from './provision/dockerfile';
import { healthChecks, StartMode } from './provision/recipe';
import { onStackOutput } from './private/synth-output';
import { checkInt, checkPattern } from './private/validate';
import { SiteHost, SiteHostProps } from './site-host';

export interface DockerHostProps extends SiteHostProps {
  /**
   * Port Apache listens on inside the container: unprivileged, so nothing needs NET_BIND_SERVICE.
   * @default 8080
   */
  readonly containerPort?: number;
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
}

const BUNDLE_DIR = '/opt/cdktf-apache-wsgi/site';

/**
 * A Docker image built from the site's recipe and a container running it.
 * The build context (Dockerfile + bundle) is written next to cdk.tf.json under
 * `docker/<site>/`, so cdk.tf.json refers to it by a relative path.
 */
export class DockerHost extends SiteHost {
  public readonly image: Image;
  public readonly container: Container;
  public readonly containerPort: number;
  /** Build context directory, relative to the stack's output directory. */
  public readonly contextPath: string;

  constructor(scope: Construct, id: string, props: DockerHostProps) {
    super(scope, id, props);
    // A container runs wherever it is started: its daemon processes follow that machine's nproc.
    this.site._addHost(undefined);
    this.containerPort = checkInt(this, 'containerPort', props.containerPort ?? 8080, 1024, 65_535);
    const hostPort = checkInt(this, 'hostPort', props.hostPort ?? 8080, 1, 65_535);
    const publishAddress = checkPattern(this, 'publishAddress', props.publishAddress ?? '127.0.0.1', /^[0-9a-fA-F:.]+$/, 'an IP address such as "127.0.0.1"');
    const restart = checkPattern(this, 'restart', props.restart ?? 'unless-stopped', /^(no|on-failure|always|unless-stopped)$/, 'no, on-failure, always or unless-stopped');
    this.contextPath = `docker/${this.site.siteName}`;
    const contentHash = Lazy.stringValue({ produce: () => this.contentHash() });

    this.image = new Image(this, 'Image', {
      name: props.imageName ?? Lazy.stringValue({ produce: () => `${this.site.siteName}:${this.contentHash().slice(0, 12)}` }),
      keepLocally: true,
      buildAttribute: { context: this.contextPath },
      triggers: { content: contentHash },
    });
    this.container = new Container(this, 'Container', {
      name: `${this.site.siteName}-apache`,
      image: this.image.imageId,
      restart,
      ports: [{ internal: this.containerPort, external: hostPort, ip: publishAddress }],
      // What Apache's root parent needs, measured by running it under a reduced bounding set:
      // SETUID/SETGID to switch children and daemon groups to their users, CHOWN to hand each
      // daemon its socket (503 without), KILL to stop daemons of other users (they outlive stop without).
      capabilities: { drop: ['ALL'], add: ['CHOWN', 'SETUID', 'SETGID', 'KILL'] },
      securityOpts: ['no-new-privileges:true'],
      // The image's HEALTHCHECK probes every app's health path.
    });
    new TerraformOutput(this, 'Url', { value: `http://${publishAddress}:${hostPort}/` });
    onStackOutput(this, (stackDir) => {
      const dir = path.join(stackDir, this.contextPath);
      fs.rmSync(dir, { recursive: true, force: true });
      writeBundle(this.buildContext(), dir);
    });
  }

  /** Files of the build context: Dockerfile plus the bundle under bundle/. */
  public buildContext(): Bundle {
    const bundle = this.bundle({ port: this.containerPort, startMode: StartMode.NONE, bundleDir: BUNDLE_DIR, logsToStdout: true });
    const spec = this.site.toSpec();
    const dockerfile = renderDockerfile({
      platform: this.site.platform, bundleDir: BUNDLE_DIR, port: this.containerPort, serverName: spec.serverName,
      healthChecks: healthChecks(spec, `http://127.0.0.1:${this.containerPort}`),
      hostFacts: needsHostCpus(spec) ? { file: this.site.deployedLayout().hostFactsFile!, variable: HOST_PROCESSES_VARIABLE, processesPerCpu: PROCESSES_PER_CPU } : undefined,
    });
    const files = new Map<string, BundleFile>([['Dockerfile', { content: Buffer.from(dockerfile), mode: 0o644 }]]);
    for (const [rel, file] of bundle) {
      files.set(`bundle/${rel}`, file);
    }
    return files;
  }

  private contentHash(): string {
    const hash = crypto.createHash('sha256');
    for (const [rel, file] of this.buildContext()) {
      hash.update(rel).update(String(file.mode)).update(file.content);
    }
    return hash.digest('hex');
  }
}
