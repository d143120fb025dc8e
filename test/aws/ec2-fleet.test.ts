import { execFileSync, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, Testing, TerraformStack } from 'cdktf';
import { FleetSiteStack } from '../../examples/fleet-site/main';
import { ApacheSite, DaemonGroup, Platform, VirtualEnv, WsgiApp } from '../../lib';
import { Ec2Fleet, Ec2FleetProps, Ec2Host } from '../../lib/aws';
import { WAIT_FOR_REFRESH_SH } from '../../lib/private/aws-site';
import { offlineAws, planOffline, synthForTerraform } from '../provision/terraform';
import { FIXTURE_APP } from '../util';

const values = (json: any, type: string): any[] => Object.values(json.resource?.[type] ?? {});
const SUBNETS = [{ subnetId: 'subnet-0123456789abcdef0', cidrBlock: '10.0.0.0/24' }, { subnetId: 'subnet-0123456789abcdef1', cidrBlock: '10.0.1.0/24' }];


function fleetStack(
  props: Partial<Ec2FleetProps> = {}, app: App = Testing.app(), source = FIXTURE_APP, releaseCommands: string[][] = [],
): { stack: TerraformStack; fleet: Ec2Fleet } {
  const stack = new TerraformStack(app, 'fleet');
  new AwsProvider(stack, 'Aws', { region: 'us-east-1' });
  const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'a.example' });
  new WsgiApp(site, 'App', {
    mountPath: '/', source, scriptFile: 'wsgi.py', releaseCommands,
    daemonGroup: new DaemonGroup(site, 'G', { virtualEnv: new VirtualEnv(stack, 'E'), requestTimeoutSec: 120 }),
  });
  const fleet = new Ec2Fleet(stack, 'Fleet', {
    site, vpcId: 'vpc-0123456789abcdef0', subnets: SUBNETS, amiId: 'ami-0123456789abcdef0',
    certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666', ...props,
  });
  return { stack, fleet };
}

describe('Ec2Fleet', () => {
  const example = new FleetSiteStack(Testing.app(), 'fleet-site');
  const json = JSON.parse(Testing.synth(example, true));

  test('launches instances with IMDSv2 only, an encrypted root volume and the bootstrap user data', () => {
    const [lt] = values(json, 'aws_launch_template');
    expect(lt.metadata_options).toEqual({ http_endpoint: 'enabled', http_put_response_hop_limit: 1, http_tokens: 'required' });
    expect(lt.block_device_mappings).toEqual([{ device_name: '/dev/xvda', ebs: { delete_on_termination: 'true', encrypted: 'true', volume_size: 16, volume_type: 'gp3' } }]);
    expect(lt.user_data).toBe('${base64encode(local.Fleet_UserData_CB2B927D)}');
    expect(json.locals.Fleet_UserData_CB2B927D).toMatch(/^#cloud-config\n/);
    // A new upstream AMI does not change the template (and so does not roll the fleet) unasked.
    expect(lt.lifecycle).toEqual({ ignore_changes: ['image_id'] });
  });

  test('runs an Auto Scaling group over two subnets that replaces unhealthy instances and waits for healthy capacity', () => {
    const [asg] = values(json, 'aws_autoscaling_group');
    expect(asg.vpc_zone_identifier).toEqual(['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1']);
    expect([asg.min_size, asg.max_size, asg.desired_capacity, asg.wait_for_elb_capacity]).toEqual([2, 4, 2, 2]);
    expect(asg.health_check_type).toBe('ELB');
    expect(asg.target_group_arns).toHaveLength(2);
    expect(asg.launch_template.version).toBe('${tostring(aws_launch_template.Fleet_LaunchTemplate_FAC34002.latest_version)}');
  });

  test('rolls changes out by instance refresh: launch before terminate, checkpoints, automatic rollback', () => {
    const [asg] = values(json, 'aws_autoscaling_group');
    expect(asg.instance_refresh).toEqual({
      strategy: 'Rolling',
      preferences: {
        min_healthy_percentage: 100, max_healthy_percentage: 200, instance_warmup: '600',
        checkpoint_percentages: [50, 100], checkpoint_delay: '60', auto_rollback: true, skip_matching: false,
      },
    });
    const [wait] = values(json, 'terraform_data');
    expect(wait.triggers_replace).toEqual({ launchTemplateVersion: '${aws_launch_template.Fleet_LaunchTemplate_FAC34002.latest_version}' });
    expect(wait.provisioner[0]['local-exec'].environment.ASG_NAME).toBe('${aws_autoscaling_group.Fleet_Group_BCCC8A0C.name}');
  });

  test('lets only the load balancer reach the instances', () => {
    const instanceSg = values(json, 'aws_security_group').find((sg) => /from the load balancer only/.test(sg.description));
    expect(instanceSg.ingress).toBeUndefined();
    const [rule] = values(json, 'aws_vpc_security_group_ingress_rule');
    expect(rule).toMatchObject({ ip_protocol: 'tcp', from_port: 80, to_port: 80, referenced_security_group_id: '${aws_security_group.Fleet_LoadBalancer_SecurityGroup_080FDE7D.id}' });
  });

  test('health-checks each app on its health path', () => {
    expect(values(json, 'aws_lb_target_group').map((tg) => tg.health_check.path)).toEqual(['/api', '/']);
  });

  test('trusts exactly the load balancer subnets as proxies, with the headers ALB sets', () => {
    // GIVEN the example fleet; WHEN its bundle is rendered
    const conf = example.fleet.bundleObject.files().get('apache/site.conf')!.content.toString();
    // THEN WSGITrustedProxies lists the two subnets and nothing wider
    expect(conf).toMatch(/WSGITrustedProxies 10\.0\.0\.0\/24 10\.0\.1\.0\/24\n/);
    expect(conf).toMatch(/WSGITrustedProxyHeaders X-Forwarded-For X-Forwarded-Proto\n/);
    // AND the site itself (served elsewhere) is unchanged
    expect(example.site.trustedProxies).toEqual([]);
  });

  test('drains leaving instances for at least the longest request the site allows', () => {
    const { stack } = fleetStack();
    expect(values(JSON.parse(Testing.synth(stack, true)), 'aws_lb_target_group')[0].deregistration_delay).toBe('120');
  });

  test('keeps the daemon users off the instance metadata service unless allowed', () => {
    const recipe = (f: Ec2Fleet) => f.bundleObject.files().get('provision.sh')!.content.toString();
    expect(recipe(example.fleet)).toContain('ip daddr 169.254.169.254 meta skuid { $(id -u wsgi-api), $(id -u wsgi-web), $(id -u www-data) } reject');
    expect(recipe(fleetStack({ allowAppsInstanceMetadata: true }).fleet)).not.toContain('169.254.169.254');
  });

  test.each([
    ['one subnet', { subnets: [SUBNETS[0]] }, /Fleet: subnets .* is invalid; expected at least two subnets/],
    ['a catch-all subnet CIDR', { subnets: [SUBNETS[0], { subnetId: 'subnet-2', cidrBlock: '0.0.0.0/0' }] }, /subnets\[1\]\.cidrBlock "0\.0\.0\.0\/0" is invalid; expected the literal IPv4 CIDR block/],
    ['desired over max', { minSize: 2, maxSize: 3, desiredCapacity: 5 }, /desiredCapacity 5 is invalid; expected an integer from 2 to 3/],
    ['checkpoints not ending at 100', { checkpointPercentages: [50] }, /checkpointPercentages 50 is invalid; expected ascending percentages ending with 100/],
  ])('fails on %s', (_name, props, message) => {
    expect(() => fleetStack(props as Partial<Ec2FleetProps>)).toThrow(message);
  });

  test('fails at synth when an app joins the site after the fleet was made', () => {
    // GIVEN a fleet, then one more app on its site
    const { stack, fleet } = fleetStack();
    new WsgiApp(fleet.site, 'Late', { mountPath: '/late', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: new DaemonGroup(fleet.site, 'L', { virtualEnv: new VirtualEnv(stack, 'LE') }) });
    // THEN synthesis names the app and the remedy
    expect(() => Testing.synth(stack, true)).toThrow(/fleet\/Fleet: apps late were added to the site after the Ec2Fleet; create the fleet after every WsgiApp of its site/);
  });

  test('the refresh waiter succeeds on Successful and fails the deploy on a rollback', () => {
    // GIVEN a fake aws CLI that reports a refresh in progress, then its end
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-aws-'));
    try {
      const run = (final: string) => {
        fs.writeFileSync(path.join(dir, 'state'), '0');
        fs.writeFileSync(path.join(dir, 'aws'), `#!/bin/sh\nn=$(cat ${dir}/state); echo $((n + 1)) > ${dir}/state\n[ "$n" -lt 2 ] && echo InProgress || echo ${final}\n`, { mode: 0o755 });
        return spawnSync('/bin/sh', ['-c', WAIT_FOR_REFRESH_SH.replace('sleep 15', 'sleep 0')], { env: { PATH: `${dir}:/usr/bin:/bin`, ASG_NAME: 'g' }, encoding: 'utf8' });
      };
      // WHEN it ends as Successful, THEN the waiter exits 0 after polling three times
      const ok = run('Successful');
      expect([ok.status, fs.readFileSync(path.join(dir, 'state'), 'utf8').trim()]).toEqual([0, '3']);
      // WHEN it rolls back, THEN the deploy fails
      const rolledBack = run('RollbackSuccessful');
      expect(rolledBack.status).toBe(1);
      expect(rolledBack.stderr).toContain('instance refresh of g ended: RollbackSuccessful');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Ec2Fleet release steps: once per bundle across the fleet', () => {
  const MIGRATE = ['python', 'manage.py', 'migrate', "it's $(reboot)"];
  const policyOf = (json: any) => JSON.parse(values(json, 'aws_iam_role_policy')[0].policy);

  test('the recipe runs the release commands through the release program, not on every instance', () => {
    // GIVEN a fleet whose app has a release command with quotes and a command substitution
    const { fleet } = fleetStack({ instanceWarmupSec: 900 }, undefined, undefined, [MIGRATE]);
    const files = fleet.bundleObject.files();
    const script = files.get('provision.sh')!.content.toString();
    // THEN one releaseOnce line runs release.py with the bootstrap config, the lease and the warm-up as the wait
    const line = script.split('\n').find((l) => l.includes('/release.py'))!;
    expect(line).toMatch(/^\/usr\/bin\/python3\.11 \/opt\/cdktf-apache-wsgi\/site\/release\.py \/etc\/cdktf-apache-wsgi\/site\.json 120 900 '.*' \|\| fail 'release steps not done: the site is not started'$/);
    // AND no line runs the command directly
    expect(script).not.toMatch(/^quiet runuser .*manage\.py/m);
    // AND the program and the client it imports are in the bundle
    expect([...files.keys()]).toEqual(expect.arrayContaining(['release.py', 'aws_client.py']));
    // AND before Apache starts
    expect(script.indexOf('/release.py')).toBeLessThan(script.indexOf('systemctl restart apache2'));
  });

  test('the release commands reach the program as the words a single host runs, quoted once', () => {
    // GIVEN the rendered line; WHEN a real shell parses it (the program replaced by printf)
    const { fleet } = fleetStack({}, undefined, undefined, [MIGRATE]);
    const line = fleet.bundleObject.files().get('provision.sh')!.content.toString().split('\n').find((l) => l.includes('/release.py'))!;
    const words = spawnSync('sh', ['-c', `printf '%s\\0' ${line.slice(line.indexOf(' ') + 1, line.lastIndexOf(' || fail'))}`], { encoding: 'utf8' }).stdout.split('\0');
    // THEN the last word is the JSON list of commands, the argument intact and nothing run
    const [command] = JSON.parse(words[4]);
    expect(command.label).toBe(`release app: ${MIGRATE.join(' ')}`);
    expect(command.argv.slice(0, 5)).toEqual(['runuser', '-u', 'wsgi-g', '--', 'env']);
    expect(command.argv.slice(-5)).toEqual(['--', ...MIGRATE]);
  });

  test('the user data names the bundle\'s release marker, under the site\'s releases/ prefix', () => {
    const { fleet } = fleetStack({}, undefined, undefined, [MIGRATE]);
    const config = JSON.parse(JSON.parse(fleet.userData().replace('#cloud-config\n', '')).write_files[2].content);
    expect(config.releaseMarker).toBe(`site/releases/${fleet.bundleObject.archive.sha256}.json`);
  });

  test('the instance role may read and write exactly the site\'s release markers', () => {
    const json = JSON.parse(Testing.synth(fleetStack({}, undefined, undefined, [MIGRATE]).stack, true));
    expect(policyOf(json).Statement).toContainEqual({
      Sid: 'ReleaseMarkers', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: '${aws_s3_bucket.Fleet_Bundle_Bucket_BCB19DB9.arn}/site/releases/*',
    });
    // Nothing else in the policy writes.
    expect(policyOf(json).Statement.flatMap((st: any) => st.Action).filter((a: string) => /Put|Delete|Write/.test(a))).toEqual(['s3:PutObject']);
  });

  test('without release commands: no marker, no release program, no write access', () => {
    const { stack, fleet } = fleetStack();
    const json = JSON.parse(Testing.synth(stack, true));
    expect(policyOf(json).Statement.map((st: any) => st.Sid)).not.toContain('ReleaseMarkers');
    expect(fleet.userData()).not.toContain('releaseMarker');
    expect(fleet.bundleObject.files().has('release.py')).toBe(false);
  });

  test('Ec2Host (one instance) still runs release commands directly, with no marker', () => {
    // GIVEN a single host whose app has a release command
    const stack = new TerraformStack(Testing.app(), 'host');
    new AwsProvider(stack, 'Aws', { region: 'us-east-1' });
    const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'a.example' });
    new WsgiApp(site, 'App', { mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', releaseCommands: [MIGRATE], daemonGroup: new DaemonGroup(site, 'G', { virtualEnv: new VirtualEnv(stack, 'E') }) });
    const host = new Ec2Host(stack, 'Host', { site, amiId: 'ami-0123456789abcdef0' });
    const json = JSON.parse(Testing.synth(stack, true));
    // THEN its recipe (the in-place release's app phase) runs the command itself, and its role writes nothing
    expect(host.bundleObject.files().get('phases/app.sh')!.content.toString()).toMatch(/^quiet runuser -u wsgi-g .* migrate 'it'\\''s \$\(reboot\)'$/m);
    expect(policyOf(json).Statement.map((st: any) => st.Sid)).not.toContain('ReleaseMarkers');
  });

  test('fails on a release wait under 10 s', () => {
    expect(() => fleetStack({ releaseWaitSec: 5 })).toThrow(/releaseWaitSec 5 is invalid; expected an integer from 10 to 86400/);
  });
});

describe('fleet-site example and a 3 MB app with real terraform', () => {
  test('the example passes terraform validate and plan offline (26 resources)', () => {
    const plan = planOffline((app) => new FleetSiteStack(app, 'fleet-site', { amiId: 'ami-0123456789abcdef0' }));
    expect(plan).toContain('Plan: 26 to add, 0 to change, 0 to destroy.');
    expect(plan).toContain('+ resource "aws_autoscaling_group" "Fleet_Group_BCCC8A0C"');
  });

  test('a 3 MB app synthesizes and plans on Ec2Host and on Ec2Fleet', () => {
    // GIVEN an app with 3 MB of incompressible data
    const source = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-big-'));
    fs.copyFileSync(path.join(FIXTURE_APP, 'wsgi.py'), path.join(source, 'wsgi.py'));
    fs.writeFileSync(path.join(source, 'blob.bin'), crypto.randomBytes(3 * 1024 * 1024));
    try {
      for (const build of [
        (app: App) => fleetStack({}, app, source).stack,
        (app: App) => {
          const stack = new TerraformStack(app, 'host');
          new AwsProvider(stack, 'Aws', { region: 'us-east-1' });
          const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'a.example' });
          new WsgiApp(site, 'App', { mountPath: '/', source, scriptFile: 'wsgi.py', daemonGroup: new DaemonGroup(site, 'G', { virtualEnv: new VirtualEnv(stack, 'E') }) });
          new Ec2Host(stack, 'Host', { site, amiId: 'ami-0123456789abcdef0' });
          return stack;
        },
      ]) {
        // WHEN it is synthesized and planned
        const run = synthForTerraform((app) => offlineAws(build(app)));
        try {
          run.terraform('init', '-input=false', '-no-color');
          const plan = run.terraform('plan', '-input=false', '-lock=false', '-refresh=false', '-no-color');
          // THEN the bundle (over 3 MB) is an S3 object beside cdk.tf.json, and the user data stays small
          const [object] = values(JSON.parse(fs.readFileSync(path.join(run.dir, 'cdk.tf.json'), 'utf8')), 'aws_s3_object');
          expect(fs.statSync(path.join(run.dir, object.source)).size).toBeGreaterThan(3 * 1024 * 1024);
          expect(plan).toMatch(/Plan: \d+ to add, 0 to change, 0 to destroy\./);
          const userData = execFileSync('grep', ['-c', 'bootstrap.py', path.join(run.dir, 'cdk.tf.json')], { encoding: 'utf8' });
          expect(Number(userData)).toBeGreaterThan(0);
        } finally {
          run.cleanup();
        }
      }
    } finally {
      fs.rmSync(source, { recursive: true, force: true });
    }
  });
});
