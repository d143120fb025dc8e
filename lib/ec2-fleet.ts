import { AutoscalingGroup } from '@cdktf/provider-aws/lib/autoscaling-group';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { DataResource, Fn, Lazy, TerraformLocal, TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { Ec2InstanceOptions } from './ec2-host';
import { HttpsLoadBalancer, SiteLoadBalancerOptions } from './https-load-balancer';
import { ec2InstanceVcpus } from './platform/instance-types';
import { behindLoadBalancer, loadBalancerSubnetCidrs, siteLoadBalancer, targetsSecurityGroup } from './private/alb-routes';
import { checkInstanceType, checkParameterArns, checkUserDataSize, InstanceRole, pinsAmi, platformAmi, SiteBundleObject, WAIT_FOR_REFRESH_SH } from './private/aws-site';
import { vmBundleDir } from './private/container';
import { checkInt, propError } from './private/validate';
import { BOOTSTRAP } from './provision/bootstrap';
import { ProvisionInput, StartMode } from './provision/recipe';
import { SiteHost, SiteHostProps } from './site-host';

/** A subnet of the fleet: its id, and its CIDR block (literal: the site trusts the load balancer nodes in it). */
export interface FleetSubnet {
  readonly subnetId: string;
  /** e.g. '10.0.1.0/24' */
  readonly cidrBlock: string;
}

export interface Ec2FleetProps extends SiteHostProps, Ec2InstanceOptions, SiteLoadBalancerOptions {
  readonly vpcId: string;
  /**
   * Subnets of the load balancer and the instances: at least two, in different
   * availability zones, with a route to the internet (packages are installed at first boot).
   */
  readonly subnets: FleetSubnet[];
  /** @default 2 */
  readonly minSize?: number;
  /** @default 4 */
  readonly maxSize?: number;
  /** @default - minSize */
  readonly desiredCapacity?: number;
  /**
   * Time a new instance has to boot, install and pass its health check before
   * the Auto Scaling group counts it (also the instance refresh's warm-up).
   * @default 600
   */
  readonly instanceWarmupSec?: number;
  /**
   * Percentages of the fleet after which an instance refresh pauses for checkpointDelaySec.
   * @default [50, 100]
   */
  readonly checkpointPercentages?: number[];
  /** @default 60 */
  readonly checkpointDelaySec?: number;
  /**
   * Make `cdktf deploy` wait until the instance refresh it started has succeeded
   * (polls with the AWS CLI on the machine that deploys; fails the deploy on a rollback).
   * @default true
   */
  readonly waitForRefresh?: boolean;
  /**
   * How long an instance waits for the instance running the release commands of
   * its bundle (the apps' `releaseCommands` run once per bundle across the fleet)
   * before it fails provisioning.
   * @default - instanceWarmupSec
   */
  readonly releaseWaitSec?: number;
}

/** A release marker unchanged this long (its holder refreshes it every quarter) is taken over. */
const RELEASE_LEASE_SEC = 120;


/**
 * The site on a fleet of EC2 instances behind an HTTPS Application Load
 * Balancer: a launch template (IMDSv2, encrypted root, the bootstrap user
 * data), an Auto Scaling group over the given subnets, and a rolling instance
 * refresh on every change (new instances healthy before old ones leave,
 * checkpoints, automatic rollback). Instances accept traffic only from the load
 * balancer, and the site trusts it (and nothing else) as its proxy.
 */
export class Ec2Fleet extends SiteHost {
  public readonly loadBalancer: HttpsLoadBalancer;
  public readonly launchTemplate: LaunchTemplate;
  public readonly autoScalingGroup: AutoscalingGroup;
  public readonly securityGroup: SecurityGroup;
  /**
   * TypeScript only (an internal construct).
   * @jsii ignore
   */
  public readonly bundleObject: SiteBundleObject;
  public readonly bundleDir: string;
  public readonly url: TerraformOutput;
  /** CIDR blocks of the load balancer's subnets: the site's trusted proxies. */
  public readonly proxyCidrs: string[];
  private readonly blockMetadata: boolean;

  constructor(scope: Construct, id: string, props: Ec2FleetProps) {
    super(scope, id, props);
    const site = this.site;
    const subnets = props.subnets ?? [];
    this.proxyCidrs = loadBalancerSubnetCidrs(this, subnets);
    const minSize = checkInt(this, 'minSize', props.minSize ?? 2, 1, 1_000);
    const maxSize = checkInt(this, 'maxSize', props.maxSize ?? Math.max(4, minSize), minSize, 1_000);
    const desired = checkInt(this, 'desiredCapacity', props.desiredCapacity ?? minSize, minSize, maxSize);
    const warmup = checkInt(this, 'instanceWarmupSec', props.instanceWarmupSec ?? 600, 0, 3_600);
    const checkpoints = (props.checkpointPercentages ?? [50, 100]).map((p, i) => checkInt(this, `checkpointPercentages[${i}]`, p, 1, 100));
    if (checkpoints.length > 0 && checkpoints[checkpoints.length - 1] !== 100) {
      throw propError(this, 'checkpointPercentages', checkpoints, 'ascending percentages ending with 100 (what instance refresh requires)');
    }
    const checkpointDelay = checkInt(this, 'checkpointDelaySec', props.checkpointDelaySec ?? 60, 0, 172_800);
    const releaseWait = checkInt(this, 'releaseWaitSec', props.releaseWaitSec ?? warmup, 10, 86_400);
    const instanceType = checkInstanceType(this, props.instanceType);
    const rootVolumeSizeGb = checkInt(this, 'rootVolumeSizeGb', props.rootVolumeSizeGb ?? 16, 8, 16_384);
    const parameterArns = checkParameterArns(this, props.ssmParameterArns);
    const spec = site.toSpec();
    const tags = { ...props.tags, 'cdktf-apache-wsgi:site': site.siteName };
    this.bundleDir = vmBundleDir(site.siteName);
    this.blockMetadata = !(props.allowAppsInstanceMetadata ?? false);
    // Daemon processes follow the instances' vCPUs, known here for the common families.
    site._addHost(ec2InstanceVcpus(instanceType));

    this.loadBalancer = siteLoadBalancer(this, spec, props, { vpcId: props.vpcId, subnetIds: subnets.map((s) => s.subnetId), port: site.port, tags });

    this.securityGroup = targetsSecurityGroup(this, this.loadBalancer, {
      description: `${site.siteName}: the site port from the load balancer only`, vpcId: props.vpcId, allowId: 'InstancesFromLoadBalancer', tags,
    });

    this.bundleObject = new SiteBundleObject(this, 'Bundle', {
      siteName: site.siteName, bucketName: props.bundleBucketName, tags,
      bundle: () => this.bundle({
        port: site.port, startMode: StartMode.SYSTEMD, bundleDir: this.bundleDir, blockInstanceMetadata: this.blockMetadata,
        releaseOnce: { configFile: BOOTSTRAP.config(site.siteName), leaseSec: RELEASE_LEASE_SEC, waitSec: releaseWait },
      }),
    });
    const role = new InstanceRole(this, 'InstanceRole', { bundle: this.bundleObject, parameterArns, spec: () => this.site.toSpec(), releaseMarkers: true, tags });

    this.launchTemplate = new LaunchTemplate(this, 'LaunchTemplate', {
      namePrefix: `${site.siteName}-`,
      imageId: platformAmi(this, site.platform, props.amiId),
      instanceType,
      iamInstanceProfile: { arn: role.profile.arn },
      vpcSecurityGroupIds: [this.securityGroup.id],
      // Through a local: a string with references inside a function call would not render as one.
      userData: Fn.base64encode(new TerraformLocal(this, 'UserData', Lazy.stringValue({ produce: () => this.userData() })).asString),
      metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled', httpPutResponseHopLimit: 1 },
      blockDeviceMappings: [{ deviceName: site.platform.os.ami.rootDeviceName, ebs: { encrypted: 'true', volumeType: 'gp3', volumeSize: rootVolumeSizeGb, deleteOnTermination: 'true' } }],
      tagSpecifications: [{ resourceType: 'instance', tags: { Name: `${site.siteName}-apache`, ...tags } }, { resourceType: 'volume', tags }],
      updateDefaultVersion: true,
      tags,
      // A new upstream AMI must not replace the instances unasked.
      lifecycle: pinsAmi(props) ? { ignoreChanges: ['image_id'] } : undefined,
    });

    this.autoScalingGroup = new AutoscalingGroup(this, 'Group', {
      namePrefix: `${site.siteName}-`,
      vpcZoneIdentifier: subnets.map((s) => s.subnetId),
      minSize, maxSize, desiredCapacity: desired,
      launchTemplate: { id: this.launchTemplate.id, version: Fn.tostring(this.launchTemplate.latestVersion) },
      targetGroupArns: this.loadBalancer.targetGroups.map((tg) => tg.arn),
      // An instance that fails the load balancer's health check is replaced.
      healthCheckType: 'ELB',
      healthCheckGracePeriod: warmup,
      defaultInstanceWarmup: warmup,
      // The first deploy returns only when every instance is healthy behind the load balancer.
      waitForElbCapacity: desired,
      waitForCapacityTimeout: `${Math.ceil(warmup / 60) + 10}m`,
      instanceRefresh: {
        strategy: 'Rolling',
        preferences: {
          // Launch before terminate: never below the desired healthy capacity.
          minHealthyPercentage: 100,
          maxHealthyPercentage: 200,
          instanceWarmup: String(warmup),
          checkpointPercentages: checkpoints,
          checkpointDelay: String(checkpointDelay),
          autoRollback: true,
          skipMatching: false,
        },
      },
      tag: Object.entries({ Name: `${site.siteName}-apache`, ...tags }).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
    });

    if (props.waitForRefresh ?? true) {
      const region = new DataAwsRegion(this, 'Region');
      new DataResource(this, 'WaitForRefresh', {
        triggersReplace: { launchTemplateVersion: this.launchTemplate.latestVersion },
        provisioners: [{
          type: 'local-exec',
          command: WAIT_FOR_REFRESH_SH,
          interpreter: ['/bin/sh', '-c'],
          environment: { ASG_NAME: this.autoScalingGroup.name, AWS_REGION: region.name },
        }],
        dependsOn: [this.autoScalingGroup],
      });
    }

    checkUserDataSize(this, () => this.userData());
    // Target groups are made from the apps known now: one added later would have no health check.
    const appsAtConstruction = spec.apps.map((a) => a.name);
    this.node.addValidation({
      validate: () => {
        const later = site.toSpec().apps.map((a) => a.name).filter((n) => !appsAtConstruction.includes(n));
        return later.length > 0 ? [`${this.node.path}: apps ${later.join(', ')} were added to the site after the Ec2Fleet; create the fleet after every WsgiApp of its site`] : [];
      },
    });
    this.url = new TerraformOutput(this, 'Url', { value: this.loadBalancer.url });
  }

  /** The #cloud-config user data every instance boots with; rendered at synth. */
  public userData(): string {
    return this.bundleObject.userData(this.site.siteName, this.bundleDir, this.site.toSpec().apps.some((a) => a.releaseCommands.length > 0));
  }

  /**
   * The site behind the load balancer: its subnets are trusted proxies, so apps see https and the client's address.
   * TypeScript only (provisioning layer types).
   * @jsii ignore
   */
  protected provisionInput(): ProvisionInput {
    return behindLoadBalancer(super.provisionInput(), this.proxyCidrs);
  }
}
