import { DataAwsAmi } from '@cdktf/provider-aws/lib/data-aws-ami';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { Instance } from '@cdktf/provider-aws/lib/instance';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Annotations, Lazy, TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { cloudConfig, USER_DATA_LIMIT_BYTES } from './provision/cloud-init';
import { SecretStore } from './app-secret';
import { SiteSpec } from './conf/site-spec';
import { groupSecrets, StartMode } from './provision/recipe';
import { checkInt, checkPattern } from './private/validate';
import { terraformLiteral } from './private/terraform-text';
import { SiteHost, SiteHostProps } from './site-host';
import { ec2InstanceVcpus } from './platform/instance-types';

export interface Ec2HostProps extends SiteHostProps {
  /** @default 't3.small' */
  readonly instanceType?: string;
  /**
   * AMI to boot; must be the site platform's OS.
   * @default - the newest official AMI of the platform's OS (aws_ami lookup)
   */
  readonly amiId?: string;
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
  /** @default 16 */
  readonly rootVolumeSizeGb?: number;
  /**
   * ARNs of SSM parameters (secrets) the instance may read at run time with its
   * role; the apps fetch them, so no secret is ever in user data or the image.
   * @default [] - no parameter access
   */
  readonly ssmParameterArns?: string[];
  /** @default {} */
  readonly tags?: Record<string, string>;
}

const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9a-fA-F:]+\/\d{1,3}$/;

/**
 * An EC2 instance that provisions the site at first boot with the same recipe
 * as every other host (cloud-init user data). IMDSv2 only, encrypted root
 * volume, SSM instead of SSH, ingress only on the site's port (with TLS: HTTP and HTTPS ports).
 * Any change to the site changes the user data and so replaces the instance.
 */
export class Ec2Host extends SiteHost {
  public readonly instance: Instance;
  public readonly securityGroup: SecurityGroup;
  public readonly role: IamRole;
  public readonly url: TerraformOutput;
  /** Directory the bundle is written to on the instance. */
  public readonly bundleDir: string;

  constructor(scope: Construct, id: string, props: Ec2HostProps) {
    super(scope, id, props);
    const site = this.site;
    const instanceType = checkPattern(this, 'instanceType', props.instanceType ?? 't3.small', /^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'an EC2 instance type such as "t3.small"');
    const rootVolumeSizeGb = checkInt(this, 'rootVolumeSizeGb', props.rootVolumeSizeGb ?? 16, 8, 16_384);
    const allowedCidrs = (props.allowedCidrs ?? ['0.0.0.0/0']).map((c, i) => checkPattern(this, `allowedCidrs[${i}]`, c, CIDR, 'a CIDR block such as "203.0.113.0/24"'));
    const parameterArns = (props.ssmParameterArns ?? []).map((a, i) => checkPattern(this, `ssmParameterArns[${i}]`, a, /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/[A-Za-z0-9_.\/-]+$/, 'the ARN of one SSM parameter (no wildcards)'));
    const tags = { ...props.tags, 'cdktf-apache-wsgi:site': site.siteName };
    this.bundleDir = `/opt/cdktf-apache-wsgi/${site.siteName}`;
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
      // Package installs at first boot and SSM need outbound HTTPS/HTTP.
      egress: [{ description: 'outbound', protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['0.0.0.0/0'] }],
      tags,
    });

    this.role = new IamRole(this, 'Role', {
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
      tags,
    });
    new IamRolePolicyAttachment(this, 'Ssm', { role: this.role.name, policyArn: 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore' });
    if (tls?.certificate.source === 'acme' && !allowedCidrs.includes('0.0.0.0/0')) {
      Annotations.of(this).addWarning('allowedCidrs does not include 0.0.0.0/0, but the ACME CA validates the domain over port 80 from addresses of its own: the certificate cannot be issued');
    }
    // Read access to exactly the parameters and secrets named: the app's own
    // (ssmParameterArns) and those the recipe resolves for the daemon groups.
    // Rendered at synth, when every app has been added.
    new IamRolePolicy(this, 'Parameters', {
      role: this.role.id,
      policy: Lazy.stringValue({ produce: () => JSON.stringify({ Version: '2012-10-17', Statement: secretReadStatements(parameterArns, this.site.toSpec()) }) }),
    });
    const profile = new IamInstanceProfile(this, 'Profile', { role: this.role.name, tags });

    const ami = props.amiId ?? new DataAwsAmi(this, 'Ami', {
      mostRecent: true,
      owners: [site.platform.os.ami.owner],
      filter: [
        { name: 'name', values: [site.platform.os.ami.namePattern] },
        { name: 'architecture', values: ['x86_64'] },
      ],
    }).id;

    this.instance = new Instance(this, 'Instance', {
      ami,
      instanceType,
      subnetId: props.subnetId,
      vpcSecurityGroupIds: [this.securityGroup.id],
      iamInstanceProfile: profile.name,
      // The bundle's file names and contents are the user's text: never Terraform templates.
      userData: Lazy.stringValue({ produce: () => terraformLiteral(this.userData()) }),
      userDataReplaceOnChange: true,
      metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled', httpPutResponseHopLimit: 1 },
      rootBlockDevice: { encrypted: true, volumeType: 'gp3', volumeSize: rootVolumeSizeGb },
      tags: { Name: `${site.siteName}-apache`, ...tags },
    });

    this.node.addValidation({
      validate: () => {
        const size = Buffer.byteLength(this.userData());
        return size > USER_DATA_LIMIT_BYTES
          ? [`${this.node.path}: user data is ${size} bytes, over EC2's ${USER_DATA_LIMIT_BYTES}; the app code is shipped inside it, so keep the bundle small (large assets belong in S3)`]
          : [];
      },
    });

    this.url = new TerraformOutput(this, 'Url', {
      value: tls
        ? `https://${site.serverName}${tls.httpsPort === 443 ? '' : `:${tls.httpsPort}`}/`
        : `http://${this.instance.publicDns}${site.port === 80 ? '' : `:${site.port}`}/`,
    });
    if (tls) {
      // The domain must resolve to the instance before a CA can validate it (ACME) or browsers reach it.
      new TerraformOutput(this, 'PublicIp', { value: this.instance.publicIp });
    }
    new TerraformOutput(this, 'InstanceId', { value: this.instance.id });
  }

  /** The #cloud-config user data; rendered when the stack synthesizes, after every app was added. Checked against EC2's 16 KB limit at synth. */
  public userData(): string {
    return cloudConfig(this.bundle({ port: this.site.port, startMode: StartMode.SYSTEMD, bundleDir: this.bundleDir }), this.bundleDir);
  }
}

/** IAM statements reading exactly the given parameters and the site's secrets; a no-op deny when there are none. */
function secretReadStatements(parameterArns: readonly string[], spec: SiteSpec): object[] {
  const secrets = groupSecrets(spec).flatMap((g) => g.secrets);
  // A certificate kept in SSM is read by root at provisioning, like the groups' secrets.
  const cert = spec.tls?.certificate;
  const tlsArns = cert?.source === 'ssm' ? [cert.certificateParameterArn, cert.privateKeyParameterArn] : [];
  const ssm = [...new Set([...parameterArns, ...secrets.filter((s) => s.store === SecretStore.SSM_PARAMETER).map((s) => s.arn), ...tlsArns])];
  const secretsManager = [...new Set(secrets.filter((s) => s.store === SecretStore.SECRETS_MANAGER).map((s) => s.arn))];
  const statements: object[] = [];
  if (ssm.length > 0) {
    statements.push({ Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:GetParameters'], Resource: ssm });
  }
  if (secretsManager.length > 0) {
    statements.push({ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: secretsManager });
  }
  // A policy needs a statement: with nothing to read, it states that nothing is readable.
  return statements.length > 0 ? statements : [{ Effect: 'Deny', Action: ['ssm:GetParameter', 'ssm:GetParameters', 'secretsmanager:GetSecretValue'], Resource: '*' }];
}
