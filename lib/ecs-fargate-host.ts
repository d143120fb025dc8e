import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { EcsCluster } from '@cdktf/provider-aws/lib/ecs-cluster';
import { EcsService } from '@cdktf/provider-aws/lib/ecs-service';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LbListenerRule } from '@cdktf/provider-aws/lib/lb-listener-rule';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { DataResource, Fn, ITerraformDependable, Lazy, TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { ContainerSiteHost, ContainerSiteHostProps } from './container-site-host';
import { FleetSubnet } from './ec2-fleet';
import { HttpsLoadBalancer, SiteLoadBalancerOptions, TargetType } from './https-load-balancer';
import { behindLoadBalancer, loadBalancerSubnetCidrs, siteLoadBalancer, targetsSecurityGroup } from './private/alb-routes';
import { PARAMETER_ARN, secretReadStatements } from './private/aws-site';
import { APACHE_CAPABILITIES, DEFAULT_CONTAINER_CAPABILITIES, ECR_PUSH_SH, ECS_RELEASE_SH, IMAGE_BUNDLE_DIR } from './private/container';
import { checkInt, checkPattern, propError } from './private/validate';
import { IMAGE_HEALTH } from './provision/dockerfile';
import { healthProbeArgs } from './provision/health';
import { appCommands, BUNDLE, ProvisionInput, RELEASE_PHASE } from './provision/recipe';

/** A secret the container gets as an environment variable, read by ECS at task start. */
export interface ContainerSecret {
  /** Environment variable name, e.g. 'DATABASE_URL'. */
  readonly name: string;
  /**
   * ARN of an SSM parameter or a Secrets Manager secret (optionally with
   * `:json-key:version-stage:version-id`); the task execution role may read exactly these.
   */
  readonly valueFromArn: string;
}

export interface EcsFargateHostProps extends ContainerSiteHostProps, SiteLoadBalancerOptions {
  readonly vpcId: string;
  /**
   * Subnets of the load balancer and the tasks: at least two, in different
   * availability zones, with a route to ECR, CloudWatch Logs and (for secrets)
   * SSM / Secrets Manager: a NAT gateway, VPC endpoints, or public subnets with assignPublicIp.
   */
  readonly subnets: FleetSubnet[];
  /**
   * Give each task a public IP: needed in public subnets without a NAT gateway or
   * VPC endpoints, to pull the image. The tasks' security group still admits only the load balancer.
   * @default false
   */
  readonly assignPublicIp?: boolean;
  /** @default 2 */
  readonly desiredCount?: number;
  /** Task CPU units (Fargate: 256, 512, 1024, 2048, 4096, 8192 or 16384). @default 512 */
  readonly cpu?: number;
  /** Task memory in MiB; must fit the CPU size (e.g. 512 CPU: 1024-4096). @default 1024 */
  readonly memoryMiB?: number;
  /** 'X86_64' or 'ARM64': the image is built for this architecture. @default 'X86_64' */
  readonly cpuArchitecture?: string;
  /** Secrets for the container's environment, from SSM or Secrets Manager. @default [] */
  readonly secrets?: ContainerSecret[];
  /**
   * Let the apps use the task role (boto3 and the SDKs find it through
   * AWS_CONTAINER_CREDENTIALS_RELATIVE_URI): grant the role what they need. The role
   * also reads every AppSecret of the site, so any daemon group's app could then
   * read the other groups' secrets.
   * @default false - only the container's start (root) uses the task role; the apps' environment has no credentials
   */
  readonly allowAppsTaskRole?: boolean;
  /** @default 30 */
  readonly logRetentionDays?: number;
  /** @default {} */
  readonly tags?: Record<string, string>;
}

/** Fargate's task sizes: CPU units -> allowed memory (MiB) range and step. */
const FARGATE_SIZES: Record<number, { min: number; max: number; step: number }> = {
  256: { min: 512, max: 2048, step: 512 },
  512: { min: 1024, max: 4096, step: 1024 },
  1024: { min: 2048, max: 8192, step: 1024 },
  2048: { min: 4096, max: 16_384, step: 1024 },
  4096: { min: 8192, max: 30_720, step: 1024 },
  8192: { min: 16_384, max: 61_440, step: 4096 },
  16_384: { min: 32_768, max: 122_880, step: 8192 },
};
const SECRET_ARN = /^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+)(:[^:\s]*:[^:\s]*:[^:\s]*)?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;
const CONTAINER = 'apache';


/**
 * The site's image on ECS Fargate behind an HTTPS Application Load Balancer
 * (the fleet's HttpsLoadBalancer: certificate, HTTP->HTTPS redirect, one target
 * group per app health-checked on its path, `ip` targets). `cdktf deploy` builds
 * the image on the deploying machine and pushes it to a private ECR repository
 * (a terraform_data with a local command: needs docker and the AWS CLI there),
 * then rolls the service: new tasks healthy before old ones drain, the
 * deployment circuit breaker rolls a failing deployment back, and the deploy
 * waits for a steady state. Logs go to CloudWatch Logs. Secrets never go into
 * the image: AppSecrets are resolved by each task's start with the task role
 * into files only the daemon group's user reads (as on EC2), and the `secrets`
 * prop's are set as environment variables by ECS. Release commands run once per
 * new image, before the service rolls: a one-off task of the new task definition
 * (`aws ecs run-task` from the deploying machine) runs the image's release phase; when
 * it fails, the deploy fails and the service keeps the old tasks. Daemon groups may
 * not declare dataDirectories (a task has no disk that outlives it).
 */
export class EcsFargateHost extends ContainerSiteHost {
  public readonly loadBalancer: HttpsLoadBalancer;
  public readonly repository: EcrRepository;
  public readonly cluster: EcsCluster;
  public readonly taskDefinition: EcsTaskDefinition;
  public readonly service: EcsService;
  public readonly logGroup: CloudwatchLogGroup;
  /** Role ECS uses to pull the image, write logs and read the secrets. */
  public readonly executionRole: IamRole;
  /**
   * Role of the task: reads exactly the site's AppSecrets (the container's start
   * resolves them as root), nothing else. The apps get its credentials only with
   * allowAppsTaskRole; then grant it what they need.
   */
  public readonly taskRole: IamRole;
  public readonly securityGroup: SecurityGroup;
  /**
   * With release commands: runs them once per new image in a one-off task, before the service rolls.
   * @default - none without release commands
   */
  public readonly release?: DataResource;
  /** '<repository URL>:<content hash>' */
  public readonly imageUri: string;
  public readonly url: TerraformOutput;
  /** CIDR blocks of the load balancer's subnets: the site's trusted proxies. */
  public readonly proxyCidrs: string[];
  private readonly allowAppsTaskRole: boolean;

  constructor(scope: Construct, id: string, props: EcsFargateHostProps) {
    super(scope, id, props);
    this.allowAppsTaskRole = props.allowAppsTaskRole ?? false;
    const site = this.site;
    const subnets = props.subnets ?? [];
    this.proxyCidrs = loadBalancerSubnetCidrs(this, subnets);
    const desiredCount = checkInt(this, 'desiredCount', props.desiredCount ?? 2, 1, 1_000);
    const cpu = props.cpu ?? 512;
    const size = FARGATE_SIZES[cpu];
    if (size === undefined) {
      throw propError(this, 'cpu', cpu, `Fargate CPU units: one of ${Object.keys(FARGATE_SIZES).join(', ')}`);
    }
    const memoryMiB = props.memoryMiB ?? Math.max(1024, size.min);
    if (!Number.isInteger(memoryMiB) || memoryMiB < size.min || memoryMiB > size.max || memoryMiB % size.step !== 0) {
      throw propError(this, 'memoryMiB', memoryMiB, `for ${cpu} CPU units, ${size.min}-${size.max} MiB in steps of ${size.step}`);
    }
    const architecture = checkPattern(this, 'cpuArchitecture', props.cpuArchitecture ?? 'X86_64', /^(X86_64|ARM64)$/, '"X86_64" or "ARM64"');
    const logRetentionDays = checkInt(this, 'logRetentionDays', props.logRetentionDays ?? 30, 1, 3653);
    const secrets = (props.secrets ?? []).map((s, i) => ({
      name: checkPattern(this, `secrets[${i}].name`, s.name, ENV_NAME, 'an environment variable name such as "DATABASE_URL"'),
      valueFrom: checkPattern(this, `secrets[${i}].valueFromArn`, s.valueFromArn, new RegExp(`${PARAMETER_ARN.source}|${SECRET_ARN.source}`),
        'the ARN of one SSM parameter or Secrets Manager secret (no wildcards)'),
    }));
    const spec = site.toSpec();
    // A Fargate task's disk is gone when the task ends (every deploy): data would not outlive it.
    const withData = spec.groups.find((g) => g.dataDirectories.length > 0);
    if (withData) {
      throw propError(this, 'site', site.node.path, `a site without dataDirectories (daemon group ${withData.name} declares ${withData.dataDirectories.map((d) => d.name).join(', ')}): `
        + 'a Fargate task has no disk that outlives it, so the data would be lost at every deploy; keep the data in a database or S3, or use DockerHost (named volumes)');
    }
    const tags = { ...props.tags, 'cdktf-apache-wsgi:site': site.siteName };
    const region = new DataAwsRegion(this, 'Region');

    this.loadBalancer = siteLoadBalancer(this, spec, props, {
      vpcId: props.vpcId, subnetIds: subnets.map((s) => s.subnetId), port: this.containerPort, targetType: TargetType.IP, tags,
    });
    this.securityGroup = targetsSecurityGroup(this, this.loadBalancer, {
      description: `${site.siteName}: the container port from the load balancer only`, vpcId: props.vpcId, allowId: 'TasksFromLoadBalancer', tags,
    });

    this.repository = new EcrRepository(this, 'Repository', {
      name: site.siteName,
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: 'AES256' }],
      tags,
    });
    new EcrLifecyclePolicy(this, 'RepositoryLifecycle', {
      repository: this.repository.name,
      policy: JSON.stringify({ rules: [{ rulePriority: 1, description: 'keep the 20 newest images', selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 20 }, action: { type: 'expire' } }] }),
    });
    const tag = Lazy.stringValue({ produce: () => this.contentHash().slice(0, 12) });
    this.imageUri = `${this.repository.repositoryUrl}:${tag}`;
    const push = new DataResource(this, 'ImagePush', {
      triggersReplace: { image: this.imageUri },
      provisioners: [{
        type: 'local-exec',
        command: ECR_PUSH_SH,
        interpreter: ['/bin/sh', '-c'],
        environment: {
          AWS_REGION: region.name, REPOSITORY: this.repository.name, TAG: tag, IMAGE: this.imageUri,
          REGISTRY: Fn.element(Fn.split('/', this.repository.repositoryUrl), 0),
          PLATFORM: architecture === 'ARM64' ? 'linux/arm64' : 'linux/amd64', CONTEXT: this.contextPath,
        },
      }],
    });

    this.logGroup = new CloudwatchLogGroup(this, 'Logs', { name: `/ecs/${site.siteName}`, retentionInDays: logRetentionDays, tags });
    const assumeEcsTasks = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    this.executionRole = new IamRole(this, 'ExecutionRole', { assumeRolePolicy: assumeEcsTasks, tags });
    const parameterArns = secrets.map((s) => s.valueFrom).filter((a) => a.includes(':ssm:'));
    // A secret reference may end in :json-key:stage:version; the policy names the secret itself.
    const secretArns = [...new Set(secrets.map((s) => s.valueFrom).filter((a) => a.includes(':secretsmanager:')).map((a) => SECRET_ARN.exec(a)![1]))];
    new IamRolePolicy(this, 'ExecutionPolicy', {
      role: this.executionRole.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          // ECR's login token is account-wide: this action takes no resource.
          { Sid: 'EcrLogin', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
          { Sid: 'EcrPull', Effect: 'Allow', Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'], Resource: this.repository.arn },
          { Sid: 'Logs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${this.logGroup.arn}:*` },
          ...(parameterArns.length > 0 ? [{ Sid: 'Parameters', Effect: 'Allow', Action: 'ssm:GetParameters', Resource: parameterArns }] : []),
          ...(secretArns.length > 0 ? [{ Sid: 'Secrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secretArns }] : []),
        ],
      }),
    });
    this.taskRole = new IamRole(this, 'TaskRole', { assumeRolePolicy: assumeEcsTasks, tags });
    // The container's start resolves the daemon groups' AppSecrets with the task role: exactly those ARNs.
    const appSecretStatements = secretReadStatements([], spec);
    if (appSecretStatements.length > 0) {
      new IamRolePolicy(this, 'TaskPolicy', {
        role: this.taskRole.id,
        policy: JSON.stringify({ Version: '2012-10-17', Statement: appSecretStatements }),
      });
    }

    this.cluster = new EcsCluster(this, 'Cluster', { name: site.siteName, tags });
    const probe = [site.platform.pythonBinary, `${IMAGE_BUNDLE_DIR}/${BUNDLE.healthProbe}`];
    this.taskDefinition = new EcsTaskDefinition(this, 'TaskDefinition', {
      family: site.siteName,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: String(cpu),
      memory: String(memoryMiB),
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: architecture },
      executionRoleArn: this.executionRole.arn,
      taskRoleArn: this.taskRole.arn,
      containerDefinitions: Lazy.stringValue({
        produce: () => JSON.stringify([{
          name: CONTAINER,
          image: this.imageUri,
          essential: true,
          portMappings: [{ containerPort: this.containerPort, protocol: 'tcp' }],
          // The image's probe over every app's health path; ECS ignores a Dockerfile HEALTHCHECK.
          healthCheck: {
            command: ['CMD', ...probe, ...healthProbeArgs(spec.serverName, this.healthChecks())],
            interval: IMAGE_HEALTH.intervalSec, timeout: IMAGE_HEALTH.timeoutSec,
            retries: IMAGE_HEALTH.retries, startPeriod: IMAGE_HEALTH.startPeriodSec,
          },
          // Apache's graceful stop (the image's STOPSIGNAL) gets this long before SIGKILL; Fargate allows up to 120 s.
          stopTimeout: Math.min(120, this.defaultStopGraceSec()),
          // Fargate can drop capabilities but add none (bar SYS_PTRACE): drop all defaults Apache does not need.
          linuxParameters: { capabilities: { drop: DEFAULT_CONTAINER_CAPABILITIES.filter((c) => !APACHE_CAPABILITIES.includes(c)) } },
          logConfiguration: {
            logDriver: 'awslogs',
            options: { 'awslogs-group': this.logGroup.name, 'awslogs-region': region.name, 'awslogs-stream-prefix': site.siteName },
          },
          secrets,
        }]),
      }),
      tags,
    });

    const network = {
      subnets: subnets.map((s) => s.subnetId), securityGroups: [this.securityGroup.id], assignPublicIp: props.assignPublicIp ?? false,
    };
    if (appCommands(this.provisionInput(), 'release').length > 0) {
      // The service's tasks skip the release commands (the image's release phase): they run once, here, before the service rolls.
      this.release = new DataResource(this, 'Release', {
        triggersReplace: { image: this.imageUri },
        dependsOn: [push],
        provisioners: [{
          type: 'local-exec',
          command: ECS_RELEASE_SH,
          interpreter: ['/bin/sh', '-c'],
          environment: {
            SITE: site.siteName, AWS_REGION: region.name, CLUSTER: this.cluster.name, TASK_DEFINITION: this.taskDefinition.arn,
            NETWORK: Fn.jsonencode({ awsvpcConfiguration: { ...network, assignPublicIp: network.assignPublicIp ? 'ENABLED' : 'DISABLED' } }),
            OVERRIDES: JSON.stringify({ containerOverrides: [{ name: CONTAINER, command: ['sh', `${IMAGE_BUNDLE_DIR}/${BUNDLE.phaseScript(RELEASE_PHASE)}`] }] }),
            LOG_GROUP: this.logGroup.name, LOG_STREAM_PREFIX: `${site.siteName}/${CONTAINER}`,
          },
        }],
      });
    }

    // The listener rules route to the apps' target groups: ECS attaches to them only once they exist.
    const rules = this.loadBalancer.node.findAll().filter((c): c is LbListenerRule => c instanceof LbListenerRule);
    const routing: ITerraformDependable[] = [this.loadBalancer.httpsListener, ...rules];
    this.service = new EcsService(this, 'Service', {
      name: site.siteName,
      cluster: this.cluster.id,
      taskDefinition: this.taskDefinition.arn,
      desiredCount,
      launchType: 'FARGATE',
      // Rolling: new tasks healthy before old ones drain; a deployment that cannot get healthy is rolled back.
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriodSeconds: IMAGE_HEALTH.startPeriodSec,
      networkConfiguration: network,
      loadBalancer: this.loadBalancer.targetGroups.map((tg) => ({
        targetGroupArn: tg.arn, containerName: CONTAINER, containerPort: this.containerPort,
      })),
      waitForSteadyState: true,
      propagateTags: 'SERVICE',
      enableEcsManagedTags: true,
      dependsOn: [push, ...routing, ...(this.release ? [this.release] : [])],
      tags,
      // After a circuit-breaker rollback the service is steady on the old task
      // definition and wait_for_steady_state reports success: fail the deploy then.
      lifecycle: {
        postcondition: [{
          condition: Lazy.stringValue({ produce: () => `\${self.task_definition == ${this.taskDefinition.fqn}.arn}` }),
          errorMessage: 'The service is not running the new task definition: the deployment failed and the circuit breaker rolled it back (see the service events).',
        }],
      },
    });

    this.url = new TerraformOutput(this, 'Url', { value: this.loadBalancer.url });
    new TerraformOutput(this, 'Image', { value: this.imageUri });
  }

  protected appsUseContainerRole(): boolean {
    return this.allowAppsTaskRole;
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
