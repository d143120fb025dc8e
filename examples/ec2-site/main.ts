import * as path from 'path';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, LocalBackend, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { ApacheSite, DaemonGroup, Platform, VirtualEnv, WsgiApp } from '../../lib';
import { Ec2Host } from '../../lib/aws';

const APPS = path.join(__dirname, '..', 'apps');

export interface Ec2SiteStackProps {
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default - the newest official Debian 12 AMI */
  readonly amiId?: string;
}

/**
 * The API app on an EC2 instance (Debian 12): `cdktf deploy` creates the
 * instance, its security group (port 80 only), an IAM role with SSM access and
 * outputs the URL. The instance provisions itself at first boot.
 */
export class Ec2SiteStack extends TerraformStack {
  public readonly site: ApacheSite;
  public readonly host: Ec2Host;

  constructor(scope: Construct, id: string, props: Ec2SiteStackProps = {}) {
    super(scope, id);
    // Relative state path: nothing in cdk.tf.json depends on where the checkout is.
    new LocalBackend(this, { path: `terraform.${id}.tfstate` });
    new AwsProvider(this, 'Aws', { region: props.region ?? 'us-east-1' });
    this.site = new ApacheSite(this, 'Site', { platform: Platform.DEBIAN_12, serverName: 'api.example.com' });
    const env = new VirtualEnv(this, 'ApiEnv', { requirementsFile: path.join(APPS, 'api', 'requirements.txt') });
    new WsgiApp(this.site, 'ApiApp', {
      mountPath: '/', source: path.join(APPS, 'api'), scriptFile: 'wsgi.py',
      daemonGroup: new DaemonGroup(this.site, 'Api', { processes: 2, threads: 5, virtualEnv: env }),
    });
    this.host = new Ec2Host(this, 'Host', { site: this.site, amiId: props.amiId, tags: { project: 'cdktf-apache-wsgi-example' } });
  }
}

if (require.main === module) {
  const app = new App();
  new Ec2SiteStack(app, 'ec2-site');
  app.synth();
}
