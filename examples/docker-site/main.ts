import * as path from 'path';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { App, LocalBackend, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { ApacheSite, DaemonGroup, Platform, VirtualEnv, WsgiApp } from '../../lib';
import { DockerHost } from '../../lib/docker';

const APPS = path.join(__dirname, '..', 'apps');

/**
 * The two-app site in a Docker container: `cdktf deploy` builds the image from
 * the generated context (Dockerfile + provisioning recipe) and runs it on
 * http://127.0.0.1:8080.
 */
export class DockerSiteStack extends TerraformStack {
  public readonly site: ApacheSite;
  public readonly host: DockerHost;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // Relative state path: nothing in cdk.tf.json depends on where the checkout is.
    new LocalBackend(this, { path: `terraform.${id}.tfstate` });
    new DockerProvider(this, 'Docker');
    this.site = new ApacheSite(this, 'Site', { platform: Platform.DEBIAN_12, serverName: 'localhost' });
    const apiEnv = new VirtualEnv(this, 'ApiEnv', { requirementsFile: path.join(APPS, 'api', 'requirements.txt') });
    new WsgiApp(this.site, 'ApiApp', {
      mountPath: '/api', source: path.join(APPS, 'api'), scriptFile: 'wsgi.py',
      daemonGroup: new DaemonGroup(this.site, 'Api', { processes: 2, threads: 5, virtualEnv: apiEnv }),
    });
    const webEnv = new VirtualEnv(this, 'WebEnv', { requirementsFile: path.join(APPS, 'hello', 'requirements.txt') });
    new WsgiApp(this.site, 'WebApp', {
      mountPath: '/', source: path.join(APPS, 'hello'), scriptFile: 'wsgi.py',
      daemonGroup: new DaemonGroup(this.site, 'Web', { threads: 15, virtualEnv: webEnv }),
      staticFiles: [{ urlPath: '/static', directory: 'static' }],
    });
    this.host = new DockerHost(this, 'Host', { site: this.site });
  }
}

if (require.main === module) {
  const app = new App();
  new DockerSiteStack(app, 'docker-site');
  app.synth();
}
