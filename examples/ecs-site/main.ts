import * as path from 'path';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, LocalBackend, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { ApacheSite, DaemonGroup, Platform, VirtualEnv, WsgiApp } from '../../lib';
import { EcsFargateHost } from '../../lib/aws';

const APPS = path.join(__dirname, '..', 'apps');

export interface EcsSiteStackProps {
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Your VPC and two of its public subnets in different availability zones. */
  readonly vpcId?: string;
  readonly subnets?: { subnetId: string; cidrBlock: string }[];
  /** @default 'www.example.com' in hosted zone 'Z0123456789EXAMPLE0' */
  readonly domainName?: string;
  readonly hostedZoneId?: string;
}

/**
 * The two-app site on ECS Fargate behind an HTTPS load balancer: `cdktf deploy`
 * builds the image on this machine (docker and the AWS CLI needed), pushes it
 * to ECR and rolls the service; every later change is a rolling deployment
 * with the circuit breaker's rollback.
 */
export class EcsSiteStack extends TerraformStack {
  public readonly site: ApacheSite;
  public readonly host: EcsFargateHost;

  constructor(scope: Construct, id: string, props: EcsSiteStackProps = {}) {
    super(scope, id);
    new LocalBackend(this, { path: `terraform.${id}.tfstate` });
    new AwsProvider(this, 'Aws', { region: props.region ?? 'us-east-1' });
    this.site = new ApacheSite(this, 'Site', { platform: Platform.DEBIAN_12, serverName: props.domainName ?? 'www.example.com' });
    const apiEnv = new VirtualEnv(this, 'ApiEnv', { requirementsFile: path.join(APPS, 'api', 'requirements.txt') });
    const webEnv = new VirtualEnv(this, 'WebEnv', { requirementsFile: path.join(APPS, 'hello', 'requirements.txt') });
    new WsgiApp(this.site, 'ApiApp', {
      mountPath: '/api', source: path.join(APPS, 'api'), scriptFile: 'wsgi.py',
      daemonGroup: new DaemonGroup(this.site, 'Api', { processes: 2, threads: 5, virtualEnv: apiEnv }),
    });
    new WsgiApp(this.site, 'WebApp', {
      mountPath: '/', source: path.join(APPS, 'hello'), scriptFile: 'wsgi.py', staticFiles: [{ urlPath: '/static', directory: 'static' }],
      daemonGroup: new DaemonGroup(this.site, 'Web', { threads: 15, virtualEnv: webEnv }),
    });
    this.host = new EcsFargateHost(this, 'Host', {
      site: this.site,
      vpcId: props.vpcId ?? 'vpc-0123456789abcdef0',
      subnets: props.subnets ?? [
        { subnetId: 'subnet-0123456789abcdef0', cidrBlock: '10.0.0.0/24' },
        { subnetId: 'subnet-0123456789abcdef1', cidrBlock: '10.0.1.0/24' },
      ],
      // Public subnets without a NAT gateway: the tasks need a public IP to pull from ECR.
      assignPublicIp: true,
      desiredCount: 2,
      cpu: 512,
      memoryMiB: 1024,
      secrets: [
        { name: 'API_TOKEN', valueFromArn: 'arn:aws:ssm:us-east-1:123456789012:parameter/site/api-token' },
        { name: 'DATABASE_PASSWORD', valueFromArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:site/db-AbCdEf:password::' },
      ],
      domainName: props.domainName ?? 'www.example.com',
      hostedZoneId: props.hostedZoneId ?? 'Z0123456789EXAMPLE0',
      tags: { project: 'cdktf-apache-wsgi-example' },
    });
  }
}

if (require.main === module) {
  const app = new App();
  new EcsSiteStack(app, 'ecs-site');
  app.synth();
}
