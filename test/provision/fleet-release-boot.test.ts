import * as fs from 'fs';
import * as path from 'path';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, TerraformStack } from 'cdktf';
import { ApacheSite, DaemonGroup, freePort, Platform, VirtualEnv, WsgiApp } from '../../lib';
import { Ec2Fleet } from '../../lib/aws';
import { request } from '../integration/http';
import { BootedRoot, startReady, Started, standin, tearDownBoot, TestNetns } from './first-boot';

const APPS = path.join(__dirname, '..', '..', 'examples', 'apps');
const BUCKET = 'caw-standin-bundles';
const SITE_PORT = 8080;
/** Inside every root: a directory all roots share (bound by nspawn), and a file naming the instance. */
const RUNS_DIR = '/var/caw-release-runs';
const INSTANCE_FILE = '/etc/caw-instance';
/**
 * The release command: records which instance ran it, then holds until the test
 * opens its gate (a file in the shared directory, named by the app's environment),
 * so the other instances reach the marker while it runs; fails when the environment says so.
 */
const RECORD_RELEASE = [
  'python', '-c',
  `import os, time\nwith open("${RUNS_DIR}/runs", "a") as f:\n    f.write(open("${INSTANCE_FILE}").read().strip() + "\\n")\n`
  + `gate = "${RUNS_DIR}/go-" + os.environ["RELEASE_GATE"]\nfor _ in range(900):\n    if os.path.exists(gate):\n        break\n    time.sleep(1)\n`
  + 'if os.environ.get("RELEASE_FAIL"):\n    print("migration exploded: table locked")\n    raise SystemExit(3)\nprint("migrated")\n',
];

interface Synthesized { readonly userData: string; readonly objectKey: string; readonly archive: string }

/** Ec2Fleet's exact user data and bundle for a one-app site with the release command (failing when `fail`). */
function synthFleet(outdir: string, fail: boolean): Synthesized {
  const app = new App({ outdir });
  const stack = new TerraformStack(app, 'fleet');
  new AwsProvider(stack, 'Aws', { region: 'us-east-1' });
  // Port 8080: the IMDS stand-in listens on 169.254.169.254:80 inside each instance's namespace.
  const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'www.example.com', port: SITE_PORT });
  new WsgiApp(site, 'WebApp', {
    mountPath: '/', source: path.join(APPS, 'hello'), scriptFile: 'wsgi.py', releaseCommands: [RECORD_RELEASE],
    environment: fail ? { RELEASE_GATE: 'failing', RELEASE_FAIL: '1' } : { RELEASE_GATE: 'good' },
    daemonGroup: new DaemonGroup(site, 'Web', { virtualEnv: new VirtualEnv(stack, 'WebEnv') }),
  });
  new Ec2Fleet(stack, 'Fleet', {
    site, vpcId: 'vpc-0123456789abcdef0', amiId: 'ami-0123456789abcdef0', bundleBucketName: BUCKET,
    subnets: [{ subnetId: 'subnet-0123456789abcdef0', cidrBlock: '10.0.0.0/24' }, { subnetId: 'subnet-0123456789abcdef1', cidrBlock: '10.0.1.0/24' }],
    certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666',
  });
  app.synth();
  const stackDir = path.join(outdir, 'stacks', 'fleet');
  const tf = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
  const [object] = Object.values(tf.resource.aws_s3_object) as any[];
  const [local] = Object.values(tf.locals) as string[];
  // The one reference left in the user data is the object's version id: what Terraform substitutes at apply.
  const userData = local.replace(/\$\{aws_s3_object\.[A-Za-z0-9_]+\.version_id\}/, 'v1-standin');
  expect(userData).not.toContain('${');
  return { userData, objectKey: object.key, archive: path.join(stackDir, object.source) };
}

interface Instance {
  readonly name: string;
  readonly netns: TestNetns;
  readonly booted: BootedRoot;
  /** cloud-init's output log once its final stage is done, or why it did not finish. */
  readonly log: Promise<{ log?: string; error?: Error }>;
}

/**
 * A fleet's first boots, for real but for S3 and IMDS: Debian 12 roots booted by
 * systemd-nspawn, each in its own network namespace with its own IMDSv2
 * stand-in, cloud-init running Ec2Fleet's exact user data. The S3 stand-ins
 * (one per namespace) share one object directory and one lock, so they act as
 * one bucket, conditional writes included. The release command appends the
 * instance's name to a file in a directory every root shares.
 */
describe('Ec2Fleet first boots: release steps once per bundle', () => {
  const work = fs.mkdtempSync('/var/tmp/caw-fleet-release-');
  const objects = path.join(work, 's3');
  const runsDir = path.join(work, 'runs');
  const procs: Started[] = [];
  const s3: Started[] = [];
  const instances: Instance[] = [];
  let good: Synthesized;
  let failing: Synthesized;

  async function boot(name: string, bundle: Synthesized): Promise<Instance> {
    const netns = TestNetns.allocate();
    netns.addLocalAddress('169.254.169.254');
    const s3Port = await freePort();
    const proxyPort = await freePort();
    procs.push(await startReady(netns.exec(standin('imds', '169.254.169.254', 80))));
    const bucket = await startReady(standin('s3', netns.hostAddress, s3Port, objects));
    procs.push(bucket);
    s3.push(bucket);
    procs.push(await startReady(standin('proxy', netns.hostAddress, proxyPort)));
    const root = path.join(work, name);
    fs.mkdirSync(root);
    fs.writeFileSync(path.join(work, `${name}.id`), `${name}\n`);
    const booted = new BootedRoot({
      root, netns, userData: bundle.userData, aptProxy: `http://${netns.hostAddress}:${proxyPort}`,
      cloudFinalEnvironment: { AWS_ENDPOINT_URL_S3: `http://${netns.hostAddress}:${s3Port}` },
      nspawnArgs: [`--bind=${runsDir}:${RUNS_DIR}`, `--bind-ro=${path.join(work, `${name}.id`)}:${INSTANCE_FILE}`],
    });
    const instance: Instance = {
      name, netns, booted,
      log: booted.waitForCloudInit(1_200_000).then((log) => ({ log }), (error) => ({ error })),
    };
    instances.push(instance);
    return instance;
  }

  async function logOf(instance: Instance): Promise<string> {
    const { log, error } = await instance.log;
    if (error) {
      throw error;
    }
    return log!;
  }

  /** The instances, of those named, that ran a release command. */
  const runsOn = (...names: string[]) => fs.readFileSync(path.join(runsDir, 'runs'), 'utf8').trim().split('\n').filter((n) => names.includes(n));

  /**
   * Opens the release gate `gate` once a second instance was refused the marker of
   * `bundle` (S3's 412): its holder is then mid-release, and the other waits for it.
   */
  async function openGateOnContention(bundle: Synthesized, gate: string, booting: Instance[]): Promise<void> {
    const marker = `precondition failed: PUT /${BUCKET}/${bundle.objectKey.replace(/([0-9a-f]{64})\.tar\.gz$/, 'releases/$1.json')}`;
    const deadline = Date.now() + 1_200_000;
    while (!s3.some((p) => p.output().includes(marker))) {
      const ended = await Promise.race([Promise.all(booting.map((i) => i.log)), new Promise((r) => setTimeout(() => r(undefined), 1_000))]);
      if (ended !== undefined || Date.now() > deadline) {
        throw new Error(`no instance was refused the marker while another held it:\n${booting.map((i) => i.booted.cloudInitLog().slice(-3000)).join('\n---\n')}`);
      }
    }
    fs.writeFileSync(path.join(runsDir, `go-${gate}`), '');
  }
  const publish = (bundle: Synthesized) => {
    const file = path.join(objects, BUCKET, bundle.objectKey);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.copyFileSync(bundle.archive, file);
  };

  let first: Instance[];
  let later: Instance;
  let failed: Instance[];

  beforeAll(async () => {
    // GIVEN the fleet's user data and bundle of one site, and of the same site whose release fails
    good = synthFleet(path.join(work, 'out-good'), false);
    failing = synthFleet(path.join(work, 'out-failing'), true);
    publish(good);
    publish(failing);
    fs.mkdirSync(runsDir, { mode: 0o1777 });
    fs.chmodSync(runsDir, 0o1777);
    // WHEN two instances boot the good bundle at the same time (a fleet's first deploy)
    first = [await boot('fleet-a', good), await boot('fleet-b', good)];
    await openGateOnContention(good, 'good', first);
    await Promise.all(first.map((i) => i.log));
    // AND then, at once: a third instance of the good bundle (a scale-out), and two of the failing one
    later = await boot('fleet-c', good);
    failed = [await boot('fleet-d', failing), await boot('fleet-e', failing)];
    await openGateOnContention(failing, 'failing', failed);
  }, 2_400_000);

  afterAll(async () => {
    for (const i of instances) {
      // Kept for a look after a failure: each instance's own account of its first boot.
      fs.writeFileSync(path.join(require('os').tmpdir(), `caw-${i.name}-cloud-init-output.log`), i.booted.cloudInitLog());
    }
    await tearDownBoot(instances.map((i) => i.booted), procs, instances.map((i) => i.netns), work);
  }, 120_000);

  test('two instances booting together: the release command runs on exactly one, both serve', async () => {
    const logs = await Promise.all(first.map(logOf));
    // THEN the release command ran once, on the instance that won the marker
    expect(runsOn('fleet-a', 'fleet-b')).toHaveLength(1);
    const holder = first.findIndex((i) => i.name === runsOn('fleet-a', 'fleet-b')[0]);
    expect(logs[holder]).toContain('[release] release steps done; recorded for the other instances');
    // AND the other, refused the marker while the holder ran the command, waited for it and skipped it
    expect(logs[1 - holder]).toMatch(/\[release\] .+ runs the release steps; waiting up to 600 s\n\[release\] release steps of this bundle already done \(by .+\): skipping them/);
    expect(logs[1 - holder]).not.toContain('[release] release web-app');
    // AND the stand-in refused the second create as S3 does
    expect(s3.map((p) => p.output()).join('')).toContain(`precondition failed: PUT /${BUCKET}/site/releases/`);
    // AND both provisioned and serve
    for (const [n, i] of first.entries()) {
      expect(logs[n]).toContain('[provision] site site provisioned');
      expect([i.name, (await request(`http://${i.netns.address}:${SITE_PORT}/`)).status]).toEqual([i.name, 200]);
    }
  });

  test('an instance launched later for the same bundle skips the release command and serves', async () => {
    const log = await logOf(later);
    expect(log).toMatch(/\[release\] release steps of this bundle already done \(by .+\): skipping them/);
    expect(log).toContain('[provision] site site provisioned');
    expect(runsOn('fleet-a', 'fleet-b', 'fleet-c')).toHaveLength(1);
    expect((await request(`http://${later.netns.address}:${SITE_PORT}/`)).status).toBe(200);
  });

  test('fails provisioning on every instance when the release command fails, each showing its output', async () => {
    const logs = await Promise.all(failed.map(logOf));
    // THEN the failing command ran once
    expect(runsOn('fleet-d', 'fleet-e')).toHaveLength(1);
    for (const [n, i] of failed.entries()) {
      // AND each instance's log shows the command's output and that the site was not started
      expect(logs[n]).toContain('migration exploded: table locked');
      expect(logs[n]).toContain('[provision] ERROR: release steps not done: the site is not started');
      expect(logs[n]).not.toContain('[provision] site site provisioned');
      // AND cloud-init reports the failure, and nothing answers on the site's port (the load balancer sees it unhealthy)
      const result = JSON.parse(fs.readFileSync(path.join(work, i.name, 'var/lib/cloud/data/result.json'), 'utf8'));
      expect(result.v1.errors).not.toEqual([]);
      await expect(request(`http://${i.netns.address}:${SITE_PORT}/`, { timeoutMs: 5_000 })).rejects.toThrow();
    }
    // AND the instance that did not run it waited for it, then failed with the holder's output
    expect(logs.filter((l) => /runs the release steps; waiting up to 600 s\n\[release\] ERROR: the release steps of this bundle failed on .+:\nrelease web-app: .*: exit 3\nmigration exploded: table locked/.test(l))).toHaveLength(1);
  });
});
