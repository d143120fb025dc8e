import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { Eip } from '@cdktf/provider-aws/lib/eip';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { Instance } from '@cdktf/provider-aws/lib/instance';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { SsmAssociation } from '@cdktf/provider-aws/lib/ssm-association';
import { SsmDocument } from '@cdktf/provider-aws/lib/ssm-document';
import { Annotations, DataResource, Lazy, TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { ec2InstanceVcpus } from './platform/instance-types';
import { checkInstanceType, checkParameterArns, checkUserDataSize, CIDR, deployDocumentContent, InstanceRole, pinsAmi, platformAmi, SiteBundleObject, WAIT_FOR_ASSOCIATION_SH } from './private/aws-site';
import { BUNDLE_ROOT, vmBundleDir } from './private/container';
import { inPlaceProvisionInputOf } from './private/provision-input';
import { checkInt, checkPattern } from './private/validate';
import { BUNDLE, ProvisionInput, StartMode } from './provision/recipe';
import { sha256Hex } from './provision/tarball';
import { SiteHost, SiteHostProps } from './site-host';

/** Props of the EC2 hosts (one instance, or a fleet): how instances boot and what they may read. */
export interface Ec2InstanceOptions {
  /** @default 't3.small' */
  readonly instanceType?: string;
  /**
   * AMI to boot; must be the site platform's OS. Changing it replaces the instances.
   * @default - the newest official AMI of the platform's OS when first deployed (aws_ami lookup), then kept: see followLatestAmi
   */
  readonly amiId?: string;
  /**
   * With no amiId: move to a newer upstream AMI when one appears (replaces the instances on the next deploy).
   * @default false - the AMI resolved at the first deploy is kept
   */
  readonly followLatestAmi?: boolean;
  /** @default 16 */
  readonly rootVolumeSizeGb?: number;
  /**
   * ARNs of SSM parameters (secrets) the instance may read with its role.
   * @default [] - no parameter access
   */
  readonly ssmParameterArns?: string[];
  /**
   * S3 bucket for the site's bundle (yours: keep it versioned, encrypted and private).
   * @default - a versioned, encrypted, private bucket is created
   */
  readonly bundleBucketName?: string;
  /**
   * Let the daemon users and Apache's workers reach the instance metadata service
   * (and so the instance role's credentials).
   * @default false - an nftables rule rejects their packets to it; root still reaches it
   */
  readonly allowAppsInstanceMetadata?: boolean;
  /** @default {} */
  readonly tags?: Record<string, string>;
}

export interface Ec2HostProps extends SiteHostProps, Ec2InstanceOptions {
  /** @default - the default VPC's default subnet */
  readonly subnetId?: string;
  /** @default - the default VPC */
  readonly vpcId?: string;
  /**
   * CIDR blocks allowed to reach the site's port (with TLS: its HTTP and HTTPS ports). Nothing else is open:
   * administration goes through SSM Session Manager, not SSH.
   * @default ['0.0.0.0/0']
   */
  readonly allowedCidrs?: string[];
  /**
   * Make `cdktf deploy` wait until the instance has deployed the new bundle version and
   * health-checked it, and fail when it did not (needs the AWS CLI where cdktf runs).
   * @default true
   */
  readonly waitForDeploy?: boolean;
  /**
   * How long the deploy of a new bundle version may take on the instance (venv builds,
   * build and release steps, health check) before it counts as failed.
   * @default 1800
   */
  readonly deployTimeoutSec?: number;
}

/** Where every EC2 host unpacks the bundle. */
export const EC2_BUNDLE_ROOT = BUNDLE_ROOT;

/**
 * One EC2 instance that provisions the site at first boot with the same recipe
 * as every other host. The user data only bootstraps: it fetches the site's
 * bundle from S3 with the instance role, checks its SHA-256 and runs the recipe,
 * so apps of any size fit. IMDSv2 only, encrypted root volume, Session Manager
 * instead of SSH, ingress only on the site's port (with TLS: its HTTP and HTTPS
 * ports), an Elastic IP that survives replacement.
 *
 * A new bundle version is deployed in place: an SSM association hands its
 * location to the instance, whose deploy program builds a release beside the
 * serving one and switches to it without dropping requests (see the README,
 * "What each change costs"). Only a new platform, instance type, AMI or system
 * setup (packages, users, directories) replaces the instance.
 */
export class Ec2Host extends SiteHost {
  public readonly instance: Instance;
  public readonly securityGroup: SecurityGroup;
  public readonly role: IamRole;
  public readonly elasticIp: Eip;
  /**
   * TypeScript only (an internal construct).
   * @jsii ignore
   */
  public readonly bundleObject: SiteBundleObject;
  /** The SSM Command document that deploys a bundle version on the instance. */
  public readonly deployDocument: SsmDocument;
  /** Runs the deploy document on the instance whenever the bundle version changes. */
  public readonly deployAssociation: SsmAssociation;
  public readonly url: TerraformOutput;
  /** Directory the bundle is unpacked to on the instance. */
  public readonly bundleDir: string;
  private readonly blockMetadata: boolean;

  constructor(scope: Construct, id: string, props: Ec2HostProps) {
    super(scope, id, props);
    const site = this.site;
    const instanceType = checkInstanceType(this, props.instanceType);
    const rootVolumeSizeGb = checkInt(this, 'rootVolumeSizeGb', props.rootVolumeSizeGb ?? 16, 8, 16_384);
    const allowedCidrs = (props.allowedCidrs ?? ['0.0.0.0/0']).map((c, i) => checkPattern(this, `allowedCidrs[${i}]`, c, CIDR, 'a CIDR block such as "203.0.113.0/24"'));
    const parameterArns = checkParameterArns(this, props.ssmParameterArns);
    const deployTimeoutSec = checkInt(this, 'deployTimeoutSec', props.deployTimeoutSec ?? 1800, 60, 172_800);
    const tags = { ...props.tags, 'cdktf-apache-wsgi:site': site.siteName };
    this.bundleDir = vmBundleDir(site.siteName);
    this.blockMetadata = !(props.allowAppsInstanceMetadata ?? false);
    // Daemon processes follow the instance's vCPUs, known here for the common families.
    site._addHost(ec2InstanceVcpus(instanceType));

    const tls = site.toSpec().tls;
    const ingress = (description: string, port: number) => ({
      description, protocol: 'tcp', fromPort: port, toPort: port,
      cidrBlocks: allowedCidrs.filter((c) => !c.includes(':')), ipv6CidrBlocks: allowedCidrs.filter((c) => c.includes(':')),
    });
    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      description: `${site.siteName}: ${tls ? 'HTTPS (and HTTP redirect)' : 'HTTP'} to the Apache site only`,
      vpcId: props.vpcId,
      // With TLS the HTTP port stays open: it redirects to HTTPS and answers ACME http-01 challenges.
      ingress: tls ? [ingress('site-http', site.port), ingress('site-https', tls.httpsPort)] : [ingress('site', site.port)],
      // Package installs at first boot, S3 and SSM need outbound HTTPS/HTTP.
      egress: [{ description: 'outbound', protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['0.0.0.0/0'] }],
      tags,
    });

    this.bundleObject = new SiteBundleObject(this, 'Bundle', {
      siteName: site.siteName, bucketName: props.bundleBucketName, tags,
      bundle: () => this.bundle({
        port: site.port, startMode: StartMode.SYSTEMD, bundleDir: this.bundleDir, blockInstanceMetadata: this.blockMetadata, deployInPlace: true,
      }),
    });
    if (tls?.certificate.source === 'acme' && !allowedCidrs.includes('0.0.0.0/0')) {
      Annotations.of(this).addWarning('allowedCidrs does not include 0.0.0.0/0, but the ACME CA validates the domain over port 80 from addresses of its own: the certificate cannot be issued');
    }
    // Deploys of new bundle versions: the association runs the bootstrap with the new location (root, on the instance).
    this.deployDocument = new SsmDocument(this, 'DeployDocument', {
      name: `${site.siteName}-deploy-${this.node.addr.slice(0, 8)}`,
      documentType: 'Command',
      documentFormat: 'JSON',
      content: deployDocumentContent(site.siteName, deployTimeoutSec),
      tags,
    });
    const role = new InstanceRole(this, 'InstanceRole', {
      bundle: this.bundleObject, parameterArns, spec: () => this.site.toSpec(), tags, deployDocumentArn: this.deployDocument.arn,
    });
    this.role = role.role;
    // What only a new instance changes: user data is written once, at first boot (the bundle version is not in it
    // for Terraform: ignore_changes), and the system phase (packages, users, directories) runs only then.
    const platformFingerprint = new DataResource(this, 'PlatformFingerprint', {
      input: {
        platform: site.platform.id, instanceType,
        systemPhase: Lazy.stringValue({ produce: () => sha256Hex(this.bundleObject.files().get(BUNDLE.phaseScript('system'))!.content) }),
      },
    });

    this.instance = new Instance(this, 'Instance', {
      ami: platformAmi(this, site.platform, props.amiId),
      instanceType,
      subnetId: props.subnetId,
      vpcSecurityGroupIds: [this.securityGroup.id],
      iamInstanceProfile: role.profile.name,
      // No text of the user's is in it (the bundle travels in S3), only the bootstrap, validated names and references.
      userData: Lazy.stringValue({ produce: () => this.userData() }),
      userDataReplaceOnChange: true,
      metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled', httpPutResponseHopLimit: 1 },
      rootBlockDevice: { encrypted: true, volumeType: 'gp3', volumeSize: rootVolumeSizeGb },
      tags: { Name: `${site.siteName}-apache`, ...tags },
      lifecycle: {
        // A new bundle version is deployed in place (the association), not by a new instance;
        // a new upstream AMI must not replace the instance unasked.
        ignoreChanges: pinsAmi(props) ? ['user_data', 'ami'] : ['user_data'],
        // A bare address: cdktf would render the resource object as an interpolation, which Terraform rejects here.
        replaceTriggeredBy: [`${platformFingerprint.terraformResourceType}.${platformFingerprint.friendlyUniqueId}`],
      },
    });
    this.elasticIp = new Eip(this, 'Ip', { domain: 'vpc', instance: this.instance.id, tags });

    const location = this.bundleObject.location();
    this.deployAssociation = new SsmAssociation(this, 'Deploy', {
      name: this.deployDocument.name,
      associationName: `${site.siteName}-deploy`,
      targets: [{ key: 'InstanceIds', values: [this.instance.id] }],
      // A new version changes the parameters, which makes a new association version that runs at once.
      parameters: { bucket: location.bucket, key: location.key, versionId: location.versionId ?? '', sha256: location.sha256 },
      maxErrors: '0',
      dependsOn: [role.profile],
    });
    if (props.waitForDeploy ?? true) {
      const region = new DataAwsRegion(this, 'Region');
      new DataResource(this, 'WaitForDeploy', {
        triggersReplace: { sha256: location.sha256, associationParameters: this.deployAssociation.parameters },
        provisioners: [{
          type: 'local-exec',
          command: WAIT_FOR_ASSOCIATION_SH,
          interpreter: ['/bin/sh', '-c'],
          environment: {
            ASSOCIATION_ID: this.deployAssociation.associationId, INSTANCE_ID: this.instance.id, AWS_REGION: region.name,
            BUNDLE_SHA256: location.sha256, TIMEOUT_SEC: String(deployTimeoutSec + 900),
          },
        }],
        dependsOn: [this.deployAssociation],
      });
    }

    checkUserDataSize(this, () => this.userData());
    this.url = new TerraformOutput(this, 'Url', {
      value: tls
        ? `https://${site.serverName}${tls.httpsPort === 443 ? '' : `:${tls.httpsPort}`}/`
        : `http://${this.elasticIp.publicDns}${site.port === 80 ? '' : `:${site.port}`}/`,
    });
    if (tls) {
      // The domain must resolve to the instance before a CA can validate it (ACME) or browsers reach it.
      new TerraformOutput(this, 'PublicIp', { value: this.elasticIp.publicIp });
    }
    new TerraformOutput(this, 'InstanceId', { value: this.instance.id });
  }

  /**
   * Releases behind a `current` link, so a code deploy leaves the Apache config as it is.
   * TypeScript only (provisioning layer types).
   * @jsii ignore
   */
  protected provisionInput(): ProvisionInput {
    return inPlaceProvisionInputOf(this.site);
  }

  /** The #cloud-config user data: the bootstrap and where the bundle is; rendered at synth. */
  public userData(): string {
    return this.bundleObject.userData(this.site.siteName, this.bundleDir);
  }
}

