import * as path from 'path';
import { App, LocalBackend, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { ApacheSite, DaemonGroup, Platform, VirtualEnv, WsgiApp } from '../../lib';

const APPS = path.join(__dirname, '..', 'apps');

/** One app at '/', its static files served by Apache, on Debian 12's distro mod_wsgi. */
export class SingleAppStack extends TerraformStack {
  public readonly site: ApacheSite;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // Relative state path: nothing in cdk.tf.json depends on where the checkout is.
    new LocalBackend(this, { path: `terraform.${id}.tfstate` });
    this.site = new ApacheSite(this, 'Site', { platform: Platform.DEBIAN_12, serverName: 'hello.example.com' });
    const env = new VirtualEnv(this, 'HelloEnv', { requirementsFile: path.join(APPS, 'hello', 'requirements.txt') });
    const group = new DaemonGroup(this.site, 'Hello', { processes: 2, threads: 5, virtualEnv: env });
    new WsgiApp(this.site, 'HelloApp', {
      mountPath: '/',
      source: path.join(APPS, 'hello'),
      scriptFile: 'wsgi.py',
      daemonGroup: group,
      staticFiles: [{ urlPath: '/static', directory: 'static', maxAgeSec: 3600 }],
    });
  }
}

if (require.main === module) {
  const app = new App();
  new SingleAppStack(app, 'single-app');
  app.synth();
}
