import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Testing, TerraformStack } from 'cdktf';
import { Ec2SiteStack } from '../examples/ec2-site/main';
import { ApacheSite, AppSecret, DaemonGroup, Platform, VirtualEnv, WsgiApp } from '../lib';
import { Ec2Host } from '../lib/aws';
import { planOffline } from './provision/terraform';
import { FIXTURE_APP } from './util';
import { WAIT_FOR_ASSOCIATION_SH } from '../lib/private/aws-site';

function resources(stack: TerraformStack, type: string): any[] {
  return Object.values(JSON.parse(Testing.synth(stack, true)).resource?.[type] ?? {});
}

describe('Ec2Host', () => {
  const stack = new Ec2SiteStack(Testing.app(), 'ec2-site');

  test('requires IMDSv2 and encrypts the root volume', () => {
    const [instance] = resources(stack, 'aws_instance');
    expect(instance.metadata_options).toEqual({ http_endpoint: 'enabled', http_put_response_hop_limit: 1, http_tokens: 'required' });
    expect(instance.root_block_device.encrypted).toBe(true);
  });

  test('opens only the site port: no SSH', () => {
    const [sg] = resources(stack, 'aws_security_group');
    expect(sg.ingress.map((r: any) => [r.protocol, r.from_port, r.to_port])).toEqual([['tcp', 80, 80]]);
  });

  test('administers through Session Manager with a minimal policy: no managed policy, no key pair', () => {
    // GIVEN the example's Ec2Host
    // THEN no managed policy is attached and the inline policy allows Session Manager, the site's bundles,
    // the agent's Run Command / State Manager calls and reading its own deploy document, and nothing else
    expect(resources(stack, 'aws_iam_role_policy_attachment')).toEqual([]);
    const [policy] = resources(stack, 'aws_iam_role_policy');
    const statements = JSON.parse(policy.policy).Statement;
    expect(statements.map((st: any) => [st.Sid, st.Action])).toEqual([
      ['SessionManager', ['ssm:UpdateInstanceInformation', 'ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel']],
      ['SiteBundle', ['s3:GetObject', 's3:GetObjectVersion']],
      ['RunCommand', [
        'ec2messages:AcknowledgeMessage', 'ec2messages:DeleteMessage', 'ec2messages:FailMessage', 'ec2messages:GetEndpoint', 'ec2messages:GetMessages', 'ec2messages:SendReply',
        'ssm:ListAssociations', 'ssm:ListInstanceAssociations', 'ssm:DescribeAssociation', 'ssm:UpdateAssociationStatus', 'ssm:UpdateInstanceAssociationStatus', 'ssm:PutComplianceItems',
      ]],
      ['DeployDocument', ['ssm:GetDocument', 'ssm:DescribeDocument']],
    ]);
    expect(statements[1].Resource).toBe('${aws_s3_bucket.Host_Bundle_Bucket_7CE0086E.arn}/site/*');
    expect(statements[3].Resource).toBe('${aws_ssm_document.Host_DeployDocument_5E25B262.arn}');
    expect(resources(stack, 'aws_instance')[0].key_name).toBeUndefined();
  });

  test('keeps its address across replacement with an Elastic IP', () => {
    const [eip] = resources(stack, 'aws_eip');
    expect(eip).toMatchObject({ domain: 'vpc', instance: '${aws_instance.Host_Instance_8BCAD32C.id}' });
  });

  test('pins the AMI it looked up: a new upstream AMI does not replace the instance', () => {
    expect(resources(stack, 'aws_instance')[0].lifecycle.ignore_changes).toEqual(['user_data', 'ami']);
  });

  test('follows the newest AMI only when asked', () => {
    const s = new TerraformStack(Testing.app(), 's');
    new AwsProvider(s, 'Aws', { region: 'us-east-1' });
    const site = new ApacheSite(s, 'Site', { platform: Platform.DEBIAN_12, serverName: 'a.example' });
    new WsgiApp(site, 'App', { mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: new DaemonGroup(site, 'G', { virtualEnv: new VirtualEnv(s, 'E') }) });
    new Ec2Host(s, 'Host', { site, followLatestAmi: true });
    expect(resources(s, 'aws_instance')[0].lifecycle.ignore_changes).toEqual(['user_data']);
  });

  test('keeps the bundle in a versioned, encrypted, private bucket under a content-addressed key', () => {
    const json = JSON.parse(Testing.synth(stack, true));
    const [object] = Object.values(json.resource.aws_s3_object) as any[];
    expect(object.key).toMatch(/^site\/[0-9a-f]{64}\.tar\.gz$/);
    expect(object.source).toBe(`bundles/${object.key}`);
    expect((Object.values(json.resource.aws_s3_bucket_versioning)[0] as any).versioning_configuration.status).toBe('Enabled');
    expect((Object.values(json.resource.aws_s3_bucket_server_side_encryption_configuration)[0] as any).rule[0].apply_server_side_encryption_by_default.sse_algorithm).toBe('AES256');
    expect(Object.values(json.resource.aws_s3_bucket_public_access_block)[0])
      .toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
  });

  test('replaces the instance only when its platform, instance type or system setup changes, not for a new bundle', () => {
    // GIVEN the example's instance
    const [instance] = resources(stack, 'aws_instance');
    const [fingerprint] = resources(stack, 'terraform_data').filter((r) => r.input !== undefined);
    // THEN the user data (which names the bundle version) is written at creation only, and a platform fingerprint triggers replacement
    expect(instance.lifecycle.ignore_changes).toContain('user_data');
    expect(instance.lifecycle.replace_triggered_by).toEqual(['terraform_data.Host_PlatformFingerprint_2128B8E8']);
    expect(Object.keys(fingerprint.input).sort()).toEqual(['instanceType', 'platform', 'systemPhase']);
    expect(fingerprint.input).toMatchObject({ platform: stack.host.site.platform.id, instanceType: 't3.small' });
    expect(fingerprint.input.systemPhase).toMatch(/^[0-9a-f]{64}$/);
  });

  test('the platform fingerprint does not change with the app code, and does with a new daemon user', () => {
    // GIVEN two sites that differ in app code only, and one with another daemon group (a new system user)
    const fingerprintOf = (source: string, groups: string[]) => {
      const s = new TerraformStack(Testing.app(), 's');
      new AwsProvider(s, 'Aws', { region: 'us-east-1' });
      const site = new ApacheSite(s, 'Site', { platform: Platform.DEBIAN_12, serverName: 'a.example' });
      groups.forEach((g, i) => new WsgiApp(site, `App${g}`, {
        mountPath: i === 0 ? '/' : `/${g}`, source, scriptFile: 'wsgi.py', daemonGroup: new DaemonGroup(site, g, { virtualEnv: new VirtualEnv(s, `E${g}`) }),
      }));
      new Ec2Host(s, 'Host', { site, amiId: 'ami-12345678' });
      return resources(s, 'terraform_data').find((r) => r.input !== undefined).input.systemPhase;
    };
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-code-'));
    fs.writeFileSync(path.join(other, 'wsgi.py'), 'def application(e, s):\n    return []\n');
    // THEN the code change keeps the fingerprint, the new group changes it
    expect(fingerprintOf(other, ['G'])).toBe(fingerprintOf(FIXTURE_APP, ['G']));
    expect(fingerprintOf(FIXTURE_APP, ['G', 'H'])).not.toBe(fingerprintOf(FIXTURE_APP, ['G']));
    fs.rmSync(other, { recursive: true, force: true });
  });

  test('deploys each bundle version in place through an SSM association whose parameters are the bundle location', () => {
    // GIVEN the example's host
    const json = JSON.parse(Testing.synth(stack, true));
    const [association] = Object.values(json.resource.aws_ssm_association) as any[];
    const [document] = Object.values(json.resource.aws_ssm_document) as any[];
    // THEN the association targets the instance and hands over bucket, key, version and SHA-256
    expect(association.targets).toEqual([{ key: 'InstanceIds', values: ['${aws_instance.Host_Instance_8BCAD32C.id}'] }]);
    expect(association.parameters).toEqual({
      bucket: '${aws_s3_bucket.Host_Bundle_Bucket_7CE0086E.bucket}',
      key: expect.stringMatching(/^site\/[0-9a-f]{64}\.tar\.gz$/),
      versionId: '${aws_s3_object.Host_Bundle_Object_5EE7B808.version_id}',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    // AND the document runs the bootstrap as root after first boot, with every parameter pattern-checked (no quote can pass)
    const content = JSON.parse(document.content);
    expect(document.document_type).toBe('Command');
    expect(content.mainSteps[0].inputs.runCommand).toEqual([
      'cloud-init status --wait >/dev/null 2>&1 || true',
      "exec python3 /opt/cdktf-apache-wsgi/bootstrap.py /etc/cdktf-apache-wsgi/site.json '{{ bucket }}' '{{ key }}' '{{ versionId }}' '{{ sha256 }}'",
    ]);
    for (const p of Object.values(content.parameters) as any[]) {
      expect(new RegExp(p.allowedPattern).test("a'b")).toBe(false);
      expect(new RegExp(p.allowedPattern).test('a b')).toBe(false);
    }
    // AND cdktf deploy waits for the association's run of this version and fails when it failed
    const [waiter] = Object.values(json.resource.terraform_data).filter((r: any) => r.provisioner !== undefined) as any[];
    expect(waiter.triggers_replace.sha256).toBe(association.parameters.sha256);
    expect(waiter.provisioner[0]['local-exec'].environment.ASSOCIATION_ID).toBe('${aws_ssm_association.Host_Deploy_8A8E21A1.association_id}');
  });

  test('looks the AMI up from the platform catalog when none is given', () => {
    const ami = Object.values(JSON.parse(Testing.synth(stack, true)).data.aws_ami) as any[];
    expect(ami[0].owners).toEqual(['136693071363']);
    expect(ami[0].filter[0]).toEqual({ name: 'name', values: ['debian-12-amd64-*'] });
  });

  test('keeps secrets and code out of user data: it holds only the bootstrap and where the bundle is', () => {
    const userData: string = resources(stack, 'aws_instance')[0].user_data;
    const doc = JSON.parse(userData.replace(/^#cloud-config\n/, ''));
    expect(doc.write_files.map((f: any) => f.path)).toEqual(['/opt/cdktf-apache-wsgi/aws_client.py', '/opt/cdktf-apache-wsgi/bootstrap.py', '/etc/cdktf-apache-wsgi/site.json']);
    const config = JSON.parse(doc.write_files[2].content);
    expect(Object.keys(config)).toEqual(['bucket', 'key', 'versionId', 'sha256', 'bundleDir', 'script']);
    expect(config.versionId).toBe('${aws_s3_object.Host_Bundle_Object_5EE7B808.version_id}');
    expect(doc.runcmd).toEqual([['python3', '/opt/cdktf-apache-wsgi/bootstrap.py', '/etc/cdktf-apache-wsgi/site.json']]);
    expect(userData).not.toMatch(/AKIA|secret_key|password/i);
  });

  test('grants read access to exactly the SSM parameters named', () => {
    const app = Testing.app();
    const s = new TerraformStack(app, 's');
    new AwsProvider(s, 'Aws', { region: 'us-east-1' });
    const site = new ApacheSite(s, 'Site', { platform: Platform.DEBIAN_12, serverName: 'a.example' });
    new WsgiApp(site, 'App', { mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: new DaemonGroup(site, 'G', { virtualEnv: new VirtualEnv(s, 'E') }) });
    const arn = 'arn:aws:ssm:us-east-1:123456789012:parameter/app/db-password';
    new Ec2Host(s, 'Host', { site, amiId: 'ami-12345678', ssmParameterArns: [arn] });
    const [policy] = resources(s, 'aws_iam_role_policy');
    expect(JSON.parse(policy.policy).Statement.slice(4)).toEqual([{ Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:GetParameters'], Resource: [arn] }]);
  });

  test('grants read access to exactly the secrets the daemon groups use, and nothing without any', () => {
    // GIVEN a site whose group and app take secrets from SSM and Secrets Manager
    const s = new TerraformStack(Testing.app(), 's');
    new AwsProvider(s, 'Aws', { region: 'us-east-1' });
    const site = new ApacheSite(s, 'Site', { platform: Platform.DEBIAN_12, serverName: 'a.example' });
    const key = 'arn:aws:ssm:us-east-1:123456789012:parameter/mysite/secret-key';
    const db = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:mysite/db-AbCdEf';
    const group = new DaemonGroup(site, 'G', { virtualEnv: new VirtualEnv(s, 'E'), secrets: { SECRET_KEY: AppSecret.fromSsmParameter(key) } });
    new WsgiApp(site, 'App', { mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: group, secrets: { DB_PASSWORD: AppSecret.fromSecretsManager(db, 'password') } });
    // WHEN an EC2 host serves it
    const host = new Ec2Host(s, 'Host', { site, amiId: 'ami-12345678' });
    // THEN the role reads exactly those two ARNs
    const [policy] = resources(s, 'aws_iam_role_policy');
    // (after the Session Manager, bundle and deploy statements every EC2 host has)
    expect(JSON.parse(policy.policy).Statement.slice(4)).toEqual([
      { Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:GetParameters'], Resource: [key] },
      { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [db] },
    ]);
    // AND the user data carries the ARNs only, to be resolved by root at boot
    expect(host.userData()).not.toMatch(/"value"/);
    // AND a host without secrets reads none
    const bare = new TerraformStack(Testing.app(), 'b');
    new AwsProvider(bare, 'Aws', { region: 'us-east-1' });
    const bareSite = new ApacheSite(bare, 'Site', { platform: Platform.DEBIAN_12, serverName: 'a.example' });
    new WsgiApp(bareSite, 'App', { mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: new DaemonGroup(bareSite, 'G', { virtualEnv: new VirtualEnv(bare, 'E') }) });
    new Ec2Host(bare, 'Host', { site: bareSite, amiId: 'ami-12345678' });
    expect(JSON.parse(resources(bare, 'aws_iam_role_policy')[0].policy).Statement.map((st: any) => st.Sid)).toEqual(['SessionManager', 'SiteBundle', 'RunCommand', 'DeployDocument']);
  });

  test('keeps Terraform from evaluating an app file named like a template (audit: ${file(...)} read the deployer\'s files)', () => {
    // GIVEN an app with files named like Terraform interpolations and directives
    const source = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-tf-'));
    fs.writeFileSync(path.join(source, 'wsgi.py'), 'def application(e, s):\n    pass\n');
    fs.writeFileSync(path.join(source, '${timestamp()}'), '');
    fs.writeFileSync(path.join(source, '%{ if true }x%{ endif }'), '');
    const s = new TerraformStack(Testing.app(), 's');
    new AwsProvider(s, 'Aws', { region: 'us-east-1' });
    const site = new ApacheSite(s, 'Site', { platform: Platform.DEBIAN_12, serverName: 'a.example' });
    new WsgiApp(site, 'App', { mountPath: '/', source, scriptFile: 'wsgi.py', daemonGroup: new DaemonGroup(site, 'G', { virtualEnv: new VirtualEnv(s, 'E') }) });
    // WHEN an EC2 host ships it
    new Ec2Host(s, 'Host', { site, amiId: 'ami-12345678' });
    const synthesized = Testing.synth(s, true);
    // THEN no file name reaches the synthesized Terraform at all: the code travels in the S3 archive, the user data only bootstraps
    expect(synthesized).not.toContain('timestamp()');
    expect(synthesized).not.toContain('%{ if true }');
    expect(synthesized).not.toContain('%%{ if true }');
    fs.rmSync(source, { recursive: true, force: true });
  });

  test('the deploy waiter follows the association\'s current version: succeeds on Success, fails the deploy on Failed with the output', () => {
    // GIVEN a fake aws CLI: association version 3, whose execution is pending twice, then ends; an older version's succeeded
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-aws-'));
    try {
      const run = (final: string) => {
        fs.writeFileSync(path.join(dir, 'state'), '0');
        fs.writeFileSync(path.join(dir, 'aws'), [
          '#!/bin/sh',
          `echo "$*" >> ${dir}/calls`,
          'case "$2" in',
          '  describe-association) echo 3 ;;',
          `  describe-association-executions) case "$*" in *"AssociationVersion=='3'"*) n=$(cat ${dir}/state); echo $((n + 1)) > ${dir}/state; [ "$n" -lt 2 ] && echo Pending || echo ${final} ;; *) echo Success ;; esac ;;`,
          '  list-command-invocations) echo "[deploy] ERROR: release 1 failed" ;;',
          'esac',
          '',
        ].join('\n'), { mode: 0o755 });
        return spawnSync('/bin/sh', ['-c', WAIT_FOR_ASSOCIATION_SH.replace('sleep 15', 'sleep 0')], {
          env: { PATH: `${dir}:/usr/bin:/bin`, ASSOCIATION_ID: 'a-1', INSTANCE_ID: 'i-1', BUNDLE_SHA256: 'ab', TIMEOUT_SEC: '600' }, encoding: 'utf8',
        });
      };
      // WHEN version 3's execution succeeds, THEN the waiter exits 0 after polling three times
      const ok = run('Success');
      expect([ok.status, fs.readFileSync(path.join(dir, 'state'), 'utf8').trim()]).toEqual([0, '3']);
      // WHEN it fails, THEN the deploy fails and shows the command's output
      const failed = run('Failed');
      expect(failed.status).toBe(1);
      expect(failed.stderr).toContain('deploy of bundle ab failed: Failed; the previous version still serves');
      expect(failed.stderr).toContain('[deploy] ERROR: release 1 failed');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each([
    ['allowedCidrs', { allowedCidrs: ['everyone'] }, /allowedCidrs\[0\] "everyone" is invalid; expected a CIDR block/],
    ['ssmParameterArns', { ssmParameterArns: ['arn:aws:ssm:us-east-1:123456789012:parameter/*'] }, /ssmParameterArns\[0\] .* is invalid; expected the ARN of one SSM parameter \(no wildcards\)/],
    ['instanceType', { instanceType: 'big one' }, /instanceType "big one" is invalid/],
  ])('fails on a bad %s', (_prop, props, message) => {
    const s = new TerraformStack(Testing.app(), 's');
    const site = new ApacheSite(s, 'Site', { platform: Platform.DEBIAN_12, serverName: 'a.example' });
    expect(() => new Ec2Host(s, 'Host', { site, ...props })).toThrow(message);
  });
});

describe('ec2-site example with real tools', () => {
  test('the user data passes cloud-init\'s own schema check', () => {
    const stack = new Ec2SiteStack(Testing.app(), 'ec2-site');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'caw-ci-')), 'user-data');
    fs.writeFileSync(file, stack.host.userData());
    const out = execFileSync('cloud-init', ['schema', '--config-file', file], { encoding: 'utf8' });
    expect(out).toContain('Valid cloud-config');
  });

  test('terraform init, validate and plan succeed offline', () => {
    // GIVEN the example with an explicit AMI (an aws_ami lookup needs the AWS API) and offline provider flags
    // WHEN terraform init, validate and plan run against the local provider mirror
    const plan = planOffline((app) => new Ec2SiteStack(app, 'ec2-site', { amiId: 'ami-0123456789abcdef0' }));
    // THEN the plan creates the 17 resources of an Ec2Host: SG, role, policy, profile, instance, EIP, bucket + 5 bucket settings, object,
    // the deploy document and association, the platform fingerprint and the deploy waiter
    expect(plan).toContain('Plan: 17 to add, 0 to change, 0 to destroy.');
    expect(plan).toContain('+ resource "aws_ssm_document" "Host_DeployDocument_5E25B262"');
    expect(plan).toContain('+ resource "aws_ssm_association" "Host_Deploy_8A8E21A1"');
    expect(plan).toContain('+ resource "aws_eip" "Host_Ip_C0FB1F33"');
    expect(plan).toContain('+ resource "aws_instance" "Host_Instance_8BCAD32C"');
  });
});
