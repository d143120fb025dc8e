import * as fs from 'fs';
import * as path from 'path';
import { DataAwsAmi } from '@cdktf/provider-aws/lib/data-aws-ami';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA as S3BucketServerSideEncryptionConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA as S3BucketVersioning } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import { Lazy } from 'cdktf';
import { Construct } from 'constructs';
import { SecretStore } from '../app-secret';
import { onStackOutput } from './synth-output';
import { checkPattern } from './validate';
import { SiteSpec } from '../conf/site-spec';
import { Platform } from '../platform/platform';
import { BOOTSTRAP, bootstrapUserData, BundleLocation } from '../provision/bootstrap';
import { Bundle } from '../provision/bundle';
import { USER_DATA_LIMIT_BYTES } from '../provision/cloud-init';
import { groupSecrets } from '../provision/recipe';
import { shellCommand } from '../provision/shell';
import { bundleTarball, sha256Hex } from '../provision/tarball';

/**
 * What Session Manager needs on the instance (the SSM agent registering and
 * opening sessions), instead of AmazonSSMManagedInstanceCore, whose
 * ssm:GetParameter(s) on "*" would let the instance read every parameter of the account.
 */
export const SESSION_MANAGER_ACTIONS = [
  'ssm:UpdateInstanceInformation',
  'ssmmessages:CreateControlChannel',
  'ssmmessages:CreateDataChannel',
  'ssmmessages:OpenControlChannel',
  'ssmmessages:OpenDataChannel',
];

/**
 * What the SSM agent needs beyond Session Manager to run an association's command:
 * the Run Command message channel (ec2messages) and State Manager's association calls.
 */
export const RUN_COMMAND_ACTIONS = [
  'ec2messages:AcknowledgeMessage',
  'ec2messages:DeleteMessage',
  'ec2messages:FailMessage',
  'ec2messages:GetEndpoint',
  'ec2messages:GetMessages',
  'ec2messages:SendReply',
  'ssm:ListAssociations',
  'ssm:ListInstanceAssociations',
  'ssm:DescribeAssociation',
  'ssm:UpdateAssociationStatus',
  'ssm:UpdateInstanceAssociationStatus',
  'ssm:PutComplianceItems',
];

export interface SiteBundleObjectProps {
  readonly siteName: string;
  /** Rendered at synth, after every app was added. */
  readonly bundle: () => Bundle;
  /** An existing bucket (versioned, private, encrypted: yours to keep so). @default - one is created */
  readonly bucketName?: string;
  readonly tags: Record<string, string>;
}

/**
 * The site's bundle as a content-addressed object (key = SHA-256 of the
 * archive) in a versioned, encrypted, private S3 bucket. The archive is written
 * beside cdk.tf.json under bundles/, and the object's `source` points at it.
 */
export class SiteBundleObject extends Construct {
  public readonly bucketName: string;
  /** ARN of the bucket, for policies. */
  public readonly bucketArn: string;
  public readonly object: S3Object;
  /** Key prefix of this site's bundles: the instance role may read exactly these. */
  public readonly keyPrefix: string;
  private readonly render: () => Bundle;
  private readonly versioning?: S3BucketVersioning;
  private cached?: { archive: Buffer; sha256: string };

  constructor(scope: Construct, id: string, props: SiteBundleObjectProps) {
    super(scope, id);
    this.render = props.bundle;
    this.keyPrefix = `${props.siteName}/`;
    if (props.bucketName !== undefined) {
      this.bucketName = checkPattern(scope, 'bundleBucketName', props.bucketName, /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name');
      this.bucketArn = `arn:aws:s3:::${this.bucketName}`;
    } else {
      const bucket = new S3Bucket(this, 'Bucket', { bucketPrefix: `${props.siteName.slice(0, 20)}-bundles-`, tags: props.tags });
      this.versioning = new S3BucketVersioning(this, 'Versioning', { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } });
      new S3BucketServerSideEncryptionConfiguration(this, 'Encryption', {
        bucket: bucket.id, rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
      });
      new S3BucketPublicAccessBlock(this, 'PublicAccessBlock', {
        bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
      });
      new S3BucketOwnershipControls(this, 'Ownership', { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } });
      new S3BucketPolicy(this, 'TlsOnly', {
        bucket: bucket.id,
        policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{
            Sid: 'TlsOnly', Effect: 'Deny', Principal: '*', Action: 's3:*',
            Resource: [bucket.arn, `${bucket.arn}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }],
        }),
      });
      this.bucketName = bucket.bucket;
      this.bucketArn = bucket.arn;
    }
    this.object = new S3Object(this, 'Object', {
      bucket: this.bucketName,
      key: Lazy.stringValue({ produce: () => this.key }),
      // Relative to cdk.tf.json's directory, where terraform runs.
      source: Lazy.stringValue({ produce: () => this.sourcePath }),
      contentType: 'application/gzip',
      tags: props.tags,
      // Uploaded once versioning is on, so the object has a version id for rollbacks to fetch.
      dependsOn: this.versioning ? [this.versioning] : undefined,
    });
    onStackOutput(this, (stackDir) => {
      const file = path.join(stackDir, this.sourcePath);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, this.archive.archive);
    });
  }

  /** The bundle's files (rendered anew on every call). */
  public files(): Bundle {
    return this.render();
  }

  /** The gzipped tar of the bundle; rendered once, at synth. */
  public get archive(): { archive: Buffer; sha256: string } {
    if (!this.cached) {
      const archive = bundleTarball(this.render());
      this.cached = { archive, sha256: sha256Hex(archive) };
    }
    return this.cached;
  }

  public get key(): string {
    return `${this.keyPrefix}${this.archive.sha256}.tar.gz`;
  }

  private get sourcePath(): string {
    return `bundles/${this.key}`;
  }

  /** Where the bootstrap fetches this bundle from. */
  public location(): BundleLocation {
    return { bucket: this.bucketName, key: this.key, versionId: this.object.versionId, sha256: this.archive.sha256 };
  }

  /** Key prefix of the bundles' release markers (a fleet's instances write them). */
  public get releasePrefix(): string {
    return `${this.keyPrefix}releases/`;
  }

  /** The marker that elects the one instance running this bundle's release commands. */
  public get releaseMarkerKey(): string {
    return `${this.releasePrefix}${this.archive.sha256}.json`;
  }

  /** With releaseOnce, the bootstrap config names the bundle's release marker. */
  public userData(siteName: string, bundleDir: string, releaseOnce = false): string {
    return bootstrapUserData(siteName, bundleDir, this.location(), releaseOnce ? this.releaseMarkerKey : undefined);
  }
}

export interface InstanceRoleProps {
  readonly bundle: SiteBundleObject;
  /** SSM parameters the instance may read (exact ARNs). */
  readonly parameterArns: readonly string[];
  /** The site, read at synth: the secrets its daemon groups and apps use are readable too. */
  readonly spec: () => SiteSpec;
  /** Let the instances write and read the bundles' release markers (a fleet whose apps have release commands). @default false */
  readonly releaseMarkers?: boolean;
  readonly tags: Record<string, string>;
  /**
   * The SSM Command document the host's deploys run (Ec2Host): the agent may then receive
   * Run Command messages and run its State Manager associations.
   * @default - Session Manager only
   */
  readonly deployDocumentArn?: string;
}

/** The instance role of an EC2 host: Session Manager, its own bundles (and a fleet's release markers) and the listed parameters, nothing else. */
export class InstanceRole extends Construct {
  public readonly role: IamRole;
  public readonly profile: IamInstanceProfile;

  constructor(scope: Construct, id: string, props: InstanceRoleProps) {
    super(scope, id);
    this.role = new IamRole(this, 'Role', {
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
      tags: props.tags,
    });
    const statements = () => [
      { Sid: 'SessionManager', Effect: 'Allow', Action: SESSION_MANAGER_ACTIONS, Resource: '*' },
      { Sid: 'SiteBundle', Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: `${props.bundle.bucketArn}/${props.bundle.keyPrefix}*` },
      // Conditional PutObject needs nothing more than s3:PutObject; only the markers' prefix is writable.
      ...(props.releaseMarkers && props.spec().apps.some((a) => a.releaseCommands.length > 0) ? [{ Sid: 'ReleaseMarkers', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: `${props.bundle.bucketArn}/${props.bundle.releasePrefix}*` }] : []),
      ...(props.deployDocumentArn !== undefined ? [
        { Sid: 'RunCommand', Effect: 'Allow', Action: RUN_COMMAND_ACTIONS, Resource: '*' },
        { Sid: 'DeployDocument', Effect: 'Allow', Action: ['ssm:GetDocument', 'ssm:DescribeDocument'], Resource: props.deployDocumentArn },
      ] : []),
      ...secretReadStatements(props.parameterArns, props.spec()),
    ];
    // Rendered at synth, when every app (and so every secret) has been added.
    new IamRolePolicy(this, 'Policy', {
      role: this.role.id,
      policy: Lazy.stringValue({ produce: () => JSON.stringify({ Version: '2012-10-17', Statement: statements() }) }),
    });
    this.profile = new IamInstanceProfile(this, 'Profile', { role: this.role.name, tags: props.tags });
  }
}

/** Read access to exactly the given parameters and the site's secrets (root resolves them at boot or container start). */
export function secretReadStatements(parameterArns: readonly string[], spec: SiteSpec): object[] {
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
  return statements;
}

/** The AMI id to boot: the given one, else the newest official AMI of the platform's OS. */
export function platformAmi(scope: Construct, platform: Platform, amiId?: string): string {
  if (amiId !== undefined) {
    return checkPattern(scope, 'amiId', amiId, /^ami-[0-9a-f]{8,17}$/, 'an AMI id such as "ami-0123456789abcdef0"');
  }
  return new DataAwsAmi(scope, 'Ami', {
    mostRecent: true,
    owners: [platform.os.ami.owner],
    filter: [
      { name: 'name', values: [platform.os.ami.namePattern] },
      { name: 'architecture', values: ['x86_64'] },
    ],
  }).id;
}

export const PARAMETER_ARN = /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/[A-Za-z0-9_.\/-]+$/;
export const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9a-fA-F:]+\/\d{1,3}$/;

/** True when the AMI comes from a lookup that must not move under a running site. */
export function pinsAmi(props: { amiId?: string; followLatestAmi?: boolean }): boolean {
  return props.amiId === undefined && !(props.followLatestAmi ?? false);
}

export function checkInstanceType(scope: Construct, value?: string): string {
  return checkPattern(scope, 'instanceType', value ?? 't3.small', /^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'an EC2 instance type such as "t3.small"');
}

export function checkParameterArns(scope: Construct, arns?: string[]): string[] {
  return (arns ?? []).map((a, i) => checkPattern(scope, `ssmParameterArns[${i}]`, a, PARAMETER_ARN, 'the ARN of one SSM parameter (no wildcards)'));
}

export function checkUserDataSize(scope: Construct, userData: () => string): void {
  scope.node.addValidation({
    validate: () => {
      const size = Buffer.byteLength(userData());
      return size > USER_DATA_LIMIT_BYTES ? [`${scope.node.path}: user data is ${size} bytes, over EC2's ${USER_DATA_LIMIT_BYTES}`] : [];
    },
  });
}

/**
 * Polls the group's newest instance refresh until it ends: 0 when it
 * succeeded (or there is none: a new group, which waitForElbCapacity covered),
 * 1 when it failed, was cancelled or rolled back.
 */
/**
 * Waits for the execution of the association's current version (a parameter change makes
 * a new version, which runs at once) and fails unless it succeeded on the instance.
 */
export const WAIT_FOR_ASSOCIATION_SH = `set -eu
command -v aws >/dev/null || { echo "waitForDeploy needs the AWS CLI on the machine that deploys" >&2; exit 1; }
version="$(aws ssm describe-association --association-id "$ASSOCIATION_ID" --query 'AssociationDescription.AssociationVersion' --output text)"
waited=0
while :; do
  status="$(aws ssm describe-association-executions --association-id "$ASSOCIATION_ID" --query "AssociationExecutions[?AssociationVersion=='$version'] | [0].Status" --output text)"
  case "$status" in
    Success) echo "deploy of bundle $BUNDLE_SHA256 (association version $version): Success"; exit 0 ;;
    Failed|TimedOut|Cancelled) break ;;
  esac
  [ "$waited" -lt "$TIMEOUT_SEC" ] || { status="not done after $TIMEOUT_SEC s"; break; }
  echo "deploy of bundle $BUNDLE_SHA256 (association version $version): $status"
  sleep 15
  waited=$((waited + 15))
done
echo "deploy of bundle $BUNDLE_SHA256 failed: $status; the previous version still serves. The command's output:" >&2
aws ssm list-command-invocations --instance-id "$INSTANCE_ID" --details --max-items 1 --query 'CommandInvocations[0].CommandPlugins[0].Output' --output text >&2 || true
exit 1
`;

export const WAIT_FOR_REFRESH_SH = `set -eu
command -v aws >/dev/null || { echo "waitForRefresh needs the AWS CLI on the machine that deploys" >&2; exit 1; }
while :; do
  status="$(aws autoscaling describe-instance-refreshes --auto-scaling-group-name "$ASG_NAME" --max-records 1 --query 'InstanceRefreshes[0].Status' --output text)"
  case "$status" in
    Successful|None) echo "instance refresh of $ASG_NAME: $status"; exit 0 ;;
    Failed|Cancelled|RollbackSuccessful|RollbackFailed) ;;
    *) echo "instance refresh of $ASG_NAME: $status"; sleep 15; continue ;;
  esac
  echo "instance refresh of $ASG_NAME ended: $status" >&2
  exit 1
done
`;

/**
 * The deploy document: waits for first boot (cloud-init) to finish, then runs the bootstrap as root
 * with the new bundle's location. SSM checks each parameter against its pattern before it is put
 * into the command, and none of the patterns admits a quote: the single quotes hold.
 */
export function deployDocumentContent(siteName: string, timeoutSec: number): string {
  const parameter = (description: string, allowedPattern: string, extra: object = {}) => ({ type: 'String', description, allowedPattern, ...extra });
  return JSON.stringify({
    schemaVersion: '2.2',
    description: `Deploys a bundle version of site ${siteName} in place (cdktf-apache-wsgi)`,
    parameters: {
      bucket: parameter('S3 bucket of the bundle', '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$'),
      key: parameter('S3 key of the bundle', '^[A-Za-z0-9/_.-]{1,1024}$'),
      versionId: parameter('S3 version of the bundle (empty: the latest)', '^[A-Za-z0-9._+/=-]{0,1024}$', { default: '' }),
      sha256: parameter('SHA-256 the bundle must have', '^[0-9a-f]{64}$'),
    },
    mainSteps: [{
      action: 'aws:runShellScript',
      name: 'deploy',
      inputs: {
        timeoutSeconds: String(timeoutSec),
        runCommand: [
          'cloud-init status --wait >/dev/null 2>&1 || true',
          `exec ${shellCommand(['python3', BOOTSTRAP.script, BOOTSTRAP.config(siteName)])} '{{ bucket }}' '{{ key }}' '{{ versionId }}' '{{ sha256 }}'`,
        ],
      },
    }],
  });
}
