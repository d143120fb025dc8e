import * as path from 'path';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, LocalBackend, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { ApacheSite, DaemonGroup, Platform, VirtualEnv, WsgiApp } from '../../lib';
import { Ec2Fleet } from '../../lib/aws';

const APPS = path.join(__dirname, '..', 'apps');

export interface FleetSiteStackProps {
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default - the newest official Debian 12 AMI at the first deploy, then kept */
  readonly amiId?: string;
  /** Your VPC and two of its public subnets in different availability zones. */
  readonly vpcId?: string;
  readonly subnets?: { subnetId: string; cidrBlock: string }[];
  /** @default 'www.example.com' in hosted zone 'Z0123456789EXAMPLE0' */
  readonly domainName?: string;
  readonly hostedZoneId?: string;
  /** @default true */
  readonly waitForRefresh?: boolean;
}

/**
 * The two-app site on an Auto Scaling fleet behind an HTTPS load balancer:
 * `cdktf deploy` creates the bundle bucket and object, the load balancer
 * (certificate DNS-validated in Route 53, HTTP redirected to HTTPS), the
 * launch template and the group; every later change rolls out by instance refresh.
 */
export class FleetSiteStack extends TerraformStack {
  public readonly site: ApacheSite;
  public readonly fleet: Ec2Fleet;

  constructor(scope: Construct, id: string, props: FleetSiteStackProps = {}) {
    super(scope, id);
    new LocalBackend(this, { path: `terraform.${id}.tfstate` });
    new AwsProvider(this, 'Aws', { region: props.region ?? 'us-east-1' });
    this.site = new ApacheSite(this, 'Site', { platform: Platform.DEBIAN_12, serverName: props.domainName ?? 'www.example.com' });
    const apiEnv = new VirtualEnv(this, 'ApiEnv', { requirementsFile: path.join(APPS, 'api', 'requirements.txt') });
    const webEnv = new VirtualEnv(this, 'WebEnv');
    new WsgiApp(this.site, 'ApiApp', {
      mountPath: '/api', source: path.join(APPS, 'api'), scriptFile: 'wsgi.py',
      daemonGroup: new DaemonGroup(this.site, 'Api', { processes: 2, threads: 5, virtualEnv: apiEnv }),
    });
    new WsgiApp(this.site, 'WebApp', {
      mountPath: '/', source: path.join(APPS, 'hello'), scriptFile: 'wsgi.py', staticFiles: [{ urlPath: '/static', directory: 'static' }],
      daemonGroup: new DaemonGroup(this.site, 'Web', { processes: 2, threads: 5, virtualEnv: webEnv }),
    });
    this.fleet = new Ec2Fleet(this, 'Fleet', {
      site: this.site,
      amiId: props.amiId,
      vpcId: props.vpcId ?? 'vpc-0123456789abcdef0',
      subnets: props.subnets ?? [
        { subnetId: 'subnet-0123456789abcdef0', cidrBlock: '10.0.0.0/24' },
        { subnetId: 'subnet-0123456789abcdef1', cidrBlock: '10.0.1.0/24' },
      ],
      domainName: props.domainName ?? 'www.example.com',
      hostedZoneId: props.hostedZoneId ?? 'Z0123456789EXAMPLE0',
      waitForRefresh: props.waitForRefresh,
      tags: { project: 'cdktf-apache-wsgi-example' },
    });
  }
}

if (require.main === module) {
  const app = new App();
  new FleetSiteStack(app, 'fleet-site');
  app.synth();
}
