import * as path from 'path';
import { App, LocalBackend, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { ApacheSite, DaemonGroup, Platform, VirtualEnv, WsgiApp } from '../../lib';

const APPS = path.join(__dirname, '..', 'apps');

/**
 * Two apps on one virtual host, each in its own daemon group with its own
 * venv, both in the main interpreter (%{GLOBAL}) of their own processes.
 */
export class TwoAppsStack extends TerraformStack {
  public readonly site: ApacheSite;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // Relative state path: nothing in cdk.tf.json depends on where the checkout is.
    new LocalBackend(this, { path: `terraform.${id}.tfstate` });
    this.site = new ApacheSite(this, 'Site', { platform: Platform.DEBIAN_12, serverName: 'www.example.com' });

    const apiEnv = new VirtualEnv(this, 'ApiEnv', { requirementsFile: path.join(APPS, 'api', 'requirements.txt') });
    const api = new DaemonGroup(this.site, 'Api', { processes: 2, threads: 5, virtualEnv: apiEnv });
    new WsgiApp(this.site, 'ApiApp', {
      mountPath: '/api',
      source: path.join(APPS, 'api'),
      scriptFile: 'wsgi.py',
      daemonGroup: api,
      passAuthorization: true,
    });

    const webEnv = new VirtualEnv(this, 'WebEnv', { requirementsFile: path.join(APPS, 'hello', 'requirements.txt') });
    const web = new DaemonGroup(this.site, 'Web', { threads: 15, virtualEnv: webEnv });
    new WsgiApp(this.site, 'WebApp', {
      mountPath: '/',
      source: path.join(APPS, 'hello'),
      scriptFile: 'wsgi.py',
      daemonGroup: web,
      staticFiles: [{ urlPath: '/static', directory: 'static' }],
    });
  }
}

if (require.main === module) {
  const app = new App();
  new TwoAppsStack(app, 'two-apps');
  app.synth();
}
