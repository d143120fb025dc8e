import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Testing, TerraformStack } from 'cdktf';
import { EcsSiteStack } from '../../examples/ecs-site/main';
import { ApacheSite, AppSecret, DaemonGroup, Platform, VirtualEnv, WsgiApp } from '../../lib';
import { EcsFargateHost, EcsFargateHostProps } from '../../lib/aws';
import { ECR_PUSH_SH, ECS_RELEASE_SH } from '../../lib/private/container';
import { planOffline } from '../provision/terraform';
import { fakeClis, FIXTURE_APP } from '../util';

const values = (json: any, type: string): any[] => Object.values(json.resource?.[type] ?? {});
const SUBNETS = [{ subnetId: 'subnet-0123456789abcdef0', cidrBlock: '10.0.0.0/24' }, { subnetId: 'subnet-0123456789abcdef1', cidrBlock: '10.0.1.0/24' }];
const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666';


function hostStack(props: Partial<EcsFargateHostProps> = {}): TerraformStack {
  const stack = new TerraformStack(Testing.app(), 'ecs');
  new AwsProvider(stack, 'Aws', { region: 'us-east-1' });
  const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'a.example' });
  new WsgiApp(site, 'App', { mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: new DaemonGroup(site, 'G', { virtualEnv: new VirtualEnv(stack, 'E') }) });
  new EcsFargateHost(stack, 'Host', { site, vpcId: 'vpc-0123456789abcdef0', subnets: SUBNETS, certificateArn: CERT, ...props });
  return stack;
}

describe('EcsFargateHost', () => {
  const example = new EcsSiteStack(Testing.app(), 'ecs-site');
  const json = JSON.parse(Testing.synth(example, true));
  const [taskDef] = values(json, 'aws_ecs_task_definition');
  const [container] = JSON.parse(taskDef.container_definitions);

  test('pushes the image to a private ECR repository with immutable tags, scanned on push', () => {
    const [repo] = values(json, 'aws_ecr_repository');
    expect([repo.name, repo.image_tag_mutability, repo.image_scanning_configuration]).toEqual(['site', 'IMMUTABLE', { scan_on_push: true }]);
    const [push] = values(json, 'terraform_data');
    // One push per content hash, with every value passed in the environment
    expect(push.triggers_replace.image).toMatch(/^\$\{aws_ecr_repository\.Host_Repository_[0-9A-F]+\.repository_url\}:[0-9a-f]{12}$/);
    expect(push.provisioner[0]['local-exec'].command).toBe(ECR_PUSH_SH);
    expect(push.provisioner[0]['local-exec'].environment).toMatchObject({ CONTEXT: 'docker/site', PLATFORM: 'linux/amd64', IMAGE: push.triggers_replace.image });
    expect(container.image).toBe(push.triggers_replace.image);
  });

  test('runs a Fargate task with the given size, its logs in CloudWatch Logs and every app health-checked', () => {
    expect([taskDef.requires_compatibilities, taskDef.network_mode, taskDef.cpu, taskDef.memory]).toEqual([['FARGATE'], 'awsvpc', '512', '1024']);
    expect(container.logConfiguration).toEqual({
      logDriver: 'awslogs',
      options: { 'awslogs-group': '${aws_cloudwatch_log_group.Host_Logs_949220AB.name}', 'awslogs-region': '${data.aws_region.Host_Region_B051C3D1.name}', 'awslogs-stream-prefix': 'site' },
    });
    expect(container.healthCheck).toEqual({
      command: ['CMD', '/usr/bin/python3.11', '/opt/cdktf-apache-wsgi/site/health.py', 'www.example.com', '200-399,401,403', 'http://127.0.0.1:8080/api', '200-399,401,403', 'http://127.0.0.1:8080/'],
      interval: 5, timeout: 10, retries: 3, startPeriod: 60,
    });
    expect(container.stopTimeout).toBe(25);
    // Fargate cannot add capabilities: every default but the four Apache needs is dropped
    expect(container.linuxParameters.capabilities.drop).toEqual(['AUDIT_WRITE', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'MKNOD', 'NET_BIND_SERVICE', 'NET_RAW', 'SETFCAP', 'SETPCAP', 'SYS_CHROOT']);
  });

  test('secrets come from SSM and Secrets Manager through the task definition, and the execution role reads exactly those', () => {
    expect(container.secrets).toEqual([
      { name: 'API_TOKEN', valueFrom: 'arn:aws:ssm:us-east-1:123456789012:parameter/site/api-token' },
      { name: 'DATABASE_PASSWORD', valueFrom: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:site/db-AbCdEf:password::' },
    ]);
    expect(container.environment).toBeUndefined();
    const [policy] = values(json, 'aws_iam_role_policy');
    expect(JSON.parse(policy.policy).Statement.map((s: any) => [s.Sid, s.Action, s.Resource])).toEqual([
      ['EcrLogin', 'ecr:GetAuthorizationToken', '*'],
      ['EcrPull', ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'], '${aws_ecr_repository.Host_Repository_1F11616B.arn}'],
      ['Logs', ['logs:CreateLogStream', 'logs:PutLogEvents'], '${aws_cloudwatch_log_group.Host_Logs_949220AB.arn}:*'],
      ['Parameters', 'ssm:GetParameters', ['arn:aws:ssm:us-east-1:123456789012:parameter/site/api-token']],
      ['Secrets', 'secretsmanager:GetSecretValue', ['arn:aws:secretsmanager:us-east-1:123456789012:secret:site/db-AbCdEf']],
    ]);
    // The task role has no permissions until the user grants some (the example has no AppSecret)
    expect(values(json, 'aws_iam_role_policy')).toHaveLength(1);
    expect(values(json, 'aws_iam_role_policy_attachment')).toEqual([]);
    expect(JSON.stringify(json)).not.toMatch(/AdministratorAccess|"Action":"\*"/);
  });

  test('rolls deployments with the circuit breaker and rollback, and waits for a steady state', () => {
    const [service] = values(json, 'aws_ecs_service');
    expect(service.deployment_circuit_breaker).toEqual({ enable: true, rollback: true });
    expect([service.deployment_minimum_healthy_percent, service.deployment_maximum_percent, service.wait_for_steady_state]).toEqual([100, 200, true]);
    expect([service.launch_type, service.desired_count, service.network_configuration.assign_public_ip]).toEqual(['FARGATE', 2, true]);
    expect(service.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^terraform_data\.Host_ImagePush_/), expect.stringMatching(/^aws_lb_listener_rule\./)]));
    // A rolled-back deployment fails the deploy instead of reporting success
    expect(service.lifecycle.postcondition).toEqual([expect.objectContaining({ condition: '${self.task_definition == aws_ecs_task_definition.Host_TaskDefinition_ADDD2992.arn}' })]);
  });

  test('sits behind the HTTPS load balancer: ip targets, one target group per app on its health path, tasks reachable from it only', () => {
    const groups = values(json, 'aws_lb_target_group');
    expect(groups.map((g) => [g.target_type, g.port, g.health_check.path])).toEqual([['ip', 8080, '/api'], ['ip', 8080, '/']]);
    const [service] = values(json, 'aws_ecs_service');
    expect(service.load_balancer).toHaveLength(2);
    const listeners = values(json, 'aws_lb_listener');
    expect(listeners.map((l) => [l.port, l.protocol]).sort()).toEqual([[443, 'HTTPS'], [80, 'HTTP']]);
    const taskSg = values(json, 'aws_security_group').find((sg) => /container port from the load balancer only/.test(sg.description));
    expect(taskSg.ingress).toBeUndefined();
    const [rule] = values(json, 'aws_vpc_security_group_ingress_rule');
    expect([rule.from_port, rule.to_port]).toEqual([8080, 8080]);
  });

  test('the site trusts the load balancer subnets as proxies', () => {
    const conf = example.host.buildContext().get('bundle/apache/site.conf')!.content.toString();
    expect(conf).toContain('WSGITrustedProxies 10.0.0.0/24 10.0.1.0/24\n');
  });

  test('AppSecrets are resolved at task start with the task role, which reads exactly their ARNs', () => {
    // GIVEN a site whose app takes an SSM parameter and a Secrets Manager field, and runs a release command
    const param = 'arn:aws:ssm:us-east-1:123456789012:parameter/site/secret-key';
    const secret = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:site/db-AbCdEf';
    const stack = new TerraformStack(Testing.app(), 'ecs');
    new AwsProvider(stack, 'Aws', { region: 'us-east-1' });
    const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'a.example' });
    new WsgiApp(site, 'App', {
      mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: new DaemonGroup(site, 'G', { virtualEnv: new VirtualEnv(stack, 'E') }),
      secrets: { SECRET_KEY: AppSecret.fromSsmParameter(param), DB_PASSWORD: AppSecret.fromSecretsManager(secret, 'password') },
      releaseCommands: [['python', 'manage.py', 'migrate', '--noinput']],
    });
    const host = new EcsFargateHost(stack, 'Host', { site, vpcId: 'vpc-0123456789abcdef0', subnets: SUBNETS, certificateArn: CERT });
    // WHEN synthesized
    const synthed = JSON.parse(Testing.synth(stack, true));
    // THEN the task role (not the execution role) may read exactly those two
    const policies = values(synthed, 'aws_iam_role_policy');
    const taskPolicy = policies.find((p) => p.role.includes('Host_TaskRole'));
    expect(JSON.parse(taskPolicy.policy).Statement).toEqual([
      { Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:GetParameters'], Resource: [param] },
      { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [secret] },
    ]);
    const execution = policies.find((p) => p.role.includes('Host_ExecutionRole'));
    expect(execution.policy).not.toContain('ssm:');
    // AND the image's start resolves them, as its release phase does before running the release; the image holds only the ARN list
    for (const phase of ['start', 'release']) {
      expect(host.buildContext().get(`bundle/phases/${phase}.sh`)!.content.toString()).toContain('aws_client.py secrets /opt/cdktf-apache-wsgi/site/secrets/g.json /srv/wsgi/site/secrets/g.json.new\n');
    }
    expect(host.buildContext().get('bundle/phases/release.sh')!.content.toString()).toContain(' -- python manage.py migrate --noinput\n');
  });

  test.each([
    [undefined, 'AWS_PROFILE AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN\n'],
    [true, 'AWS_PROFILE\n'],
  ])('the apps get the task role\'s endpoint only when allowed (allowAppsTaskRole %s)', (allowAppsTaskRole, unsetTail) => {
    // GIVEN the host, with or without allowAppsTaskRole
    const stack = hostStack({ allowAppsTaskRole });
    const host = stack.node.findChild('Host') as EcsFargateHost;
    // THEN Apache is started without static credentials, and without the role's endpoint unless allowed
    const start = host.buildContext().get('bundle/phases/start.sh')!.content.toString();
    expect(start).toContain(`\nunset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_SHARED_CREDENTIALS_FILE ${unsetTail}exec `);
  });

  test('fails on a site with data directories: a Fargate task has no disk that outlives it', () => {
    const stack = new TerraformStack(Testing.app(), 'ecs');
    new AwsProvider(stack, 'Aws', { region: 'us-east-1' });
    const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'a.example' });
    const group = new DaemonGroup(site, 'G', { virtualEnv: new VirtualEnv(stack, 'E'), dataDirectories: { UPLOADS: 'uploads' } });
    new WsgiApp(site, 'App', { mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: group });
    expect(() => new EcsFargateHost(stack, 'Host', { site, vpcId: 'vpc-0123456789abcdef0', subnets: SUBNETS, certificateArn: CERT }))
      .toThrow(/ecs\/Host: site "ecs\/Site" is invalid; expected a site without dataDirectories \(daemon group g declares uploads\): a Fargate task has no disk that outlives it/);
  });

  test.each([
    ['CPU units Fargate does not offer', { cpu: 300 }, /Host: cpu 300 is invalid; expected Fargate CPU units/],
    ['memory that does not fit the CPU', { cpu: 256, memoryMiB: 4096 }, /memoryMiB 4096 is invalid; expected for 256 CPU units, 512-2048 MiB in steps of 512/],
    ['a wildcard secret ARN', { secrets: [{ name: 'X', valueFromArn: 'arn:aws:ssm:us-east-1:123456789012:parameter/*' }] }, /secrets\[0\]\.valueFromArn .* is invalid; expected the ARN of one SSM parameter or Secrets Manager secret/],
    ['an environment name with a space', { secrets: [{ name: 'A B', valueFromArn: 'arn:aws:ssm:us-east-1:123456789012:parameter/a' }] }, /secrets\[0\]\.name "A B" is invalid/],
    ['one subnet', { subnets: [SUBNETS[0]] }, /Host: subnets .* is invalid; expected at least two subnets/],
  ])('fails on %s', (_name, props, message) => {
    expect(() => hostStack(props as Partial<EcsFargateHostProps>)).toThrow(message);
  });

  test('the push script skips a tag ECR already has, and otherwise logs in with the token on stdin, builds and pushes', () => {
    // GIVEN fake aws and docker CLIs that record their arguments and stdin
    const cli = fakeClis();
    try {
      cli.tool('docker', `[ "$1" = login ] && echo "stdin: $(cat)" >> ${cli.dir}/calls; exit 0`);
      const env = { AWS_REGION: 'us-east-1', REPOSITORY: 'site', TAG: 'abc', IMAGE: '1.dkr.ecr.us-east-1.amazonaws.com/site:abc', REGISTRY: '1.dkr.ecr.us-east-1.amazonaws.com', PLATFORM: 'linux/amd64', CONTEXT: 'docker/site' };
      // WHEN the tag is not in ECR yet
      cli.tool('aws', '[ "$2" = describe-images ] && exit 1; echo TOKEN');
      const pushed = cli.run(ECR_PUSH_SH, env);
      // THEN it logs in (token on stdin, never an argument), builds for the task's platform and pushes
      expect(pushed.status).toBe(0);
      const calls = cli.calls();
      // The two sides of the login pipe run at once: their lines come in either order.
      expect([calls[0], ...calls.slice(1, 3).sort(), ...calls.slice(3)]).toEqual([
        'aws ecr describe-images --region us-east-1 --repository-name site --image-ids imageTag=abc',
        'aws ecr get-login-password --region us-east-1',
        'docker login --username AWS --password-stdin 1.dkr.ecr.us-east-1.amazonaws.com',
        'stdin: TOKEN',
        'docker build --platform linux/amd64 -t 1.dkr.ecr.us-east-1.amazonaws.com/site:abc docker/site',
        'docker push 1.dkr.ecr.us-east-1.amazonaws.com/site:abc',
      ]);
      // WHEN the tag is already there, THEN nothing is built or pushed
      cli.reset();
      cli.tool('aws', 'exit 0');
      const skipped = cli.run(ECR_PUSH_SH, env);
      expect([skipped.status, skipped.stdout.trim()]).toEqual([0, '1.dkr.ecr.us-east-1.amazonaws.com/site:abc is already in ECR']);
      expect(cli.calls()).toEqual(['aws ecr describe-images --region us-east-1 --repository-name site --image-ids imageTag=abc']);
    } finally {
      cli.cleanup();
    }
  });
});

describe('EcsFargateHost release commands: once per new image, in a one-off task, before the service rolls', () => {
  const HOSTILE = ['python', 'manage.py', 'migrate', "$(reboot) it's ${file(\"/etc/passwd\")}"];
  const withRelease = (releaseCommands: string[][]) => {
    const stack = new TerraformStack(Testing.app(), 'ecs');
    new AwsProvider(stack, 'Aws', { region: 'us-east-1' });
    const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'a.example', siteName: 'shop' });
    new WsgiApp(site, 'App', { mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', releaseCommands, daemonGroup: new DaemonGroup(site, 'G', { virtualEnv: new VirtualEnv(stack, 'E') }) });
    const host = new EcsFargateHost(stack, 'Host', { site, vpcId: 'vpc-0123456789abcdef0', subnets: SUBNETS, certificateArn: CERT, assignPublicIp: true });
    return { stack, host, json: JSON.parse(Testing.synth(stack, true)) };
  };

  test('a release resource runs the task definition with the release phase, in the service\'s network, after the push and before the service', () => {
    // GIVEN a site with a release command holding a command substitution, quotes and a Terraform template
    const { host, json } = withRelease([HOSTILE]);
    // THEN one more terraform_data, replaced with every image, runs the release script
    const release = values(json, 'terraform_data').find((r) => r.provisioner[0]['local-exec'].command === ECS_RELEASE_SH);
    const push = values(json, 'terraform_data').find((r) => r.provisioner[0]['local-exec'].command === ECR_PUSH_SH);
    expect(release.triggers_replace).toEqual({ image: push.triggers_replace.image });
    expect(release.depends_on).toEqual([expect.stringMatching(/^terraform_data\.Host_ImagePush_/)]);
    const env = release.provisioner[0]['local-exec'].environment;
    expect(env).toMatchObject({
      SITE: 'shop', TASK_DEFINITION: expect.stringMatching(/^\$\{aws_ecs_task_definition\.Host_TaskDefinition_[0-9A-F]+\.arn\}$/),
      CLUSTER: expect.stringMatching(/^\$\{aws_ecs_cluster\./), LOG_STREAM_PREFIX: 'shop/apache',
    });
    expect(JSON.parse(env.OVERRIDES)).toEqual({ containerOverrides: [{ name: 'apache', command: ['sh', '/opt/cdktf-apache-wsgi/site/phases/release.sh'] }] });
    expect(env.NETWORK).toContain('"assignPublicIp" = "ENABLED"');
    expect(env.NETWORK).toContain('[aws_security_group.Host_SecurityGroup_');
    // AND the service rolls only after it
    const [service] = values(json, 'aws_ecs_service');
    expect(service.depends_on).toContain(`terraform_data.${Object.keys(json.resource.terraform_data).find((k) => k.startsWith('Host_Release_'))}`);
    // AND no release command reaches the Terraform configuration: it travels in the image; the scripts hold no template
    expect(JSON.stringify(json)).not.toContain('reboot');
    expect(ECS_RELEASE_SH).not.toMatch(/[$%]\{/);
    // AND the serving tasks' start skips it; the release phase runs it
    const context = host.buildContext();
    expect(context.get('bundle/phases/start.sh')!.content.toString()).not.toContain('manage.py');
    expect(context.get('bundle/phases/release.sh')!.content.toString()).toContain(" -- python manage.py migrate '$(reboot) it'\\''s ${file(\"/etc/passwd\")}'\n");
  });

  test('without release commands there is no release resource', () => {
    const { json, host } = withRelease([]);
    expect(values(json, 'terraform_data').map((r) => r.provisioner[0]['local-exec'].command)).toEqual([ECR_PUSH_SH]);
    expect(host.release).toBeUndefined();
  });

  test('the release script succeeds when the task\'s container exits 0 and fails the deploy with the exit code, reason and log otherwise', () => {
    // GIVEN a fake aws CLI: run-task starts task t-1, the first wait times out (10 minutes), the second returns
    const cli = fakeClis();
    const task = 'arn:aws:ecs:us-east-1:123456789012:task/shop/t-1';
    const aws = (exitCode: string) => cli.tool('aws', [
      'case "$1 $2" in',
      `  "ecs run-task") echo ${task} ;;`,
      `  "ecs wait") [ -e ${cli.dir}/waited ] || { touch ${cli.dir}/waited; exit 255; } ;;`,
      `  "ecs describe-tasks") printf '${exitCode}\\tEssential container in task exited\\n' ;;`,
      '  "logs get-log-events") printf \'[provision] ERROR: failed: release app\\tmigration failed: no such table\\n\' ;;',
      'esac',
    ].join('\n'));
    const env = {
      SITE: 'shop', AWS_REGION: 'us-east-1', CLUSTER: 'shop', TASK_DEFINITION: 'arn:aws:ecs:us-east-1:123456789012:task-definition/shop:7',
      NETWORK: '{"awsvpcConfiguration":{}}', OVERRIDES: '{"containerOverrides":[]}', LOG_GROUP: '/ecs/shop', LOG_STREAM_PREFIX: 'shop/apache',
    };
    try {
      // WHEN the release task's container exits 0
      aws('0');
      const ok = cli.run(ECS_RELEASE_SH, env);
      // THEN the step succeeds, having waited until the task stopped
      expect([ok.status, ok.stdout.trim().split('\n').at(-1)]).toEqual([0, `site shop: release commands done (task ${task})`]);
      expect(cli.calls().map((c) => c.split(' ').slice(0, 3).join(' '))).toEqual(['aws ecs run-task', 'aws ecs wait', 'aws ecs wait', 'aws ecs describe-tasks']);
      expect(cli.calls()[0]).toContain(' --task-definition arn:aws:ecs:us-east-1:123456789012:task-definition/shop:7 --launch-type FARGATE --count 1 --network-configuration {"awsvpcConfiguration":{}} --overrides {"containerOverrides":[]} ');
      // WHEN it exits 1
      cli.reset();
      aws('1');
      const failed = cli.run(ECS_RELEASE_SH, env);
      // THEN the apply step fails with the exit code, the reason and the task's own output
      expect(failed.status).toBe(1);
      expect(failed.stderr).toContain(`site shop: the release commands failed in task ${task} (exit code, reason: 1\tEssential container in task exited); the service still runs the previous task definition`);
      expect(failed.stderr).toContain('[provision] ERROR: failed: release app\nmigration failed: no such table\n');
      expect(cli.calls().at(-1)).toBe('aws logs get-log-events --region us-east-1 --log-group-name /ecs/shop --log-stream-name shop/apache/t-1 --start-from-head --query events[].message --output text');
    } finally {
      cli.cleanup();
    }
  });
});

describe('ecs-site example with real terraform', () => {
  test('passes terraform validate and plan offline (23 resources)', () => {
    const plan = planOffline((app) => new EcsSiteStack(app, 'ecs-site'));
    expect(plan).toContain('Plan: 23 to add, 0 to change, 0 to destroy.');
    expect(plan).toContain('+ resource "aws_ecs_service" "Host_Service_045380F2"');
    expect(plan).toContain('+ resource "terraform_data" "Host_ImagePush_EC19A603"');
  });
});
