import * as fs from 'fs';
import * as path from 'path';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, TerraformStack } from 'cdktf';
import { ApacheSite, DaemonGroup, freePort, Platform, VirtualEnv, WsgiApp } from '../../lib';
import { Ec2Host } from '../../lib/aws';
import { request } from '../integration/http';
import { BootedRoot, startReady, Started, standin, tearDownBoot, TestNetns } from './first-boot';

const APPS = path.join(__dirname, '..', '..', 'examples', 'apps');
const BUCKET = 'caw-standin-bundles';
const VERSION_ID = 'v1-standin';
const SITE_PORT = 8080;

/**
 * The EC2 first boot, for real but for S3 and IMDS: a Debian 12 root booted by
 * systemd-nspawn in its own network namespace, cloud-init running the exact
 * user data Ec2Host synthesizes. Only the AWS endpoints are stand-ins (local
 * IMDSv2 at 169.254.169.254 in the namespace, a local S3 GetObject that checks
 * SigV4 signatures); apt reaches Debian through a local HTTP proxy.
 */
describe('Ec2Host first boot under cloud-init', () => {
  const work = fs.mkdtempSync('/var/tmp/caw-boot-');
  const root = path.join(work, 'root');
  const objects = path.join(work, 's3');
  const netns = TestNetns.allocate();
  const procs: Started[] = [];
  let booted: BootedRoot;
  let log = '';
  let objectFile = '';
  let s3Endpoint = '';

  beforeAll(async () => {
    // GIVEN a two-app site on an Ec2Host, synthesized to cdk.tf.json + the bundle archive
    const outdir = path.join(work, 'out');
    const app = new App({ outdir });
    const stack = new TerraformStack(app, 'boot');
    new AwsProvider(stack, 'Aws', { region: 'us-east-1' });
    // Port 8080: the IMDS stand-in listens on 169.254.169.254:80 inside the instance's own namespace.
    const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'www.example.com', port: SITE_PORT });
    new WsgiApp(site, 'ApiApp', {
      mountPath: '/api', source: path.join(APPS, 'api'), scriptFile: 'wsgi.py',
      daemonGroup: new DaemonGroup(site, 'Api', { processes: 2, threads: 5, virtualEnv: new VirtualEnv(stack, 'ApiEnv', { requirementsFile: path.join(APPS, 'api', 'requirements.txt') }) }),
    });
    new WsgiApp(site, 'WebApp', {
      mountPath: '/', source: path.join(APPS, 'hello'), scriptFile: 'wsgi.py', staticFiles: [{ urlPath: '/static', directory: 'static' }],
      daemonGroup: new DaemonGroup(site, 'Web', { virtualEnv: new VirtualEnv(stack, 'WebEnv') }),
    });
    new Ec2Host(stack, 'Host', { site, amiId: 'ami-0123456789abcdef0', bundleBucketName: BUCKET });
    app.synth();
    const stackDir = path.join(outdir, 'stacks', 'boot');
    const tf = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
    const [object] = Object.values(tf.resource.aws_s3_object) as any[];
    const [instance] = Object.values(tf.resource.aws_instance) as any[];
    // The one reference left in the user data is the object's version id: what Terraform substitutes at apply.
    const userData = (instance.user_data as string).replace('${aws_s3_object.Host_Bundle_Object_5EE7B808.version_id}', VERSION_ID);
    expect(userData).not.toContain('${');
    objectFile = path.join(objects, BUCKET, object.key);
    fs.mkdirSync(path.dirname(objectFile), { recursive: true });
    fs.copyFileSync(path.join(stackDir, object.source), objectFile);

    // AND the stand-ins: IMDS inside the namespace, S3 and an apt proxy on the machine side of the veth
    netns.addLocalAddress('169.254.169.254');
    const s3Port = await freePort();
    const proxyPort = await freePort();
    s3Endpoint = `http://${netns.hostAddress}:${s3Port}`;
    procs.push(await startReady(netns.exec(standin('imds', '169.254.169.254', 80))));
    procs.push(await startReady(standin('s3', netns.hostAddress, s3Port, objects)));
    procs.push(await startReady(standin('proxy', netns.hostAddress, proxyPort)));

    // WHEN the root boots with the user data as its NoCloud seed
    fs.mkdirSync(root);
    booted = new BootedRoot({
      root, netns, userData, aptProxy: `http://${netns.hostAddress}:${proxyPort}`,
      cloudFinalEnvironment: { AWS_ENDPOINT_URL_S3: s3Endpoint },
    });
    log = await booted.waitForCloudInit(240_000);
  }, 420_000);

  afterAll(async () => {
    // Kept for a look after a failure: the instance's own account of its first boot.
    fs.writeFileSync(path.join(require('os').tmpdir(), 'caw-first-boot-cloud-init-output.log'),
      `${booted?.cloudInitLog() ?? ''}\n--- journal ---\n${booted ? String(booted.run(['journalctl', '--no-pager', '-n', '80']).stdout) : ''}`);
    await tearDownBoot([booted], procs, [netns], work);
  }, 60_000);

  test('cloud-init fetches the bundle with the instance role, verifies it and provisions the site', () => {
    expect(log).toContain(`[bootstrap] fetching s3://${BUCKET}/site/`);
    expect(log).toMatch(/\[bootstrap\] bundle verified: sha256 [0-9a-f]{64}/);
    expect(log).toContain('[provision] mod_wsgi links Python 3.11');
    expect(log).toContain(`[health] ok   http://127.0.0.1:${SITE_PORT}/api -> 200`);
    expect(log).toMatch(/\[deploy\] release [0-9T]+-[0-9a-f]{12} serves/);
    const result = JSON.parse(fs.readFileSync(path.join(root, 'var/lib/cloud/data/result.json'), 'utf8'));
    expect(result.v1.errors).toEqual([]);
    // The S3 stand-in answered only signed requests for the object's exact version.
    expect(procs[1].output()).toMatch(new RegExp(`GET /${BUCKET}/site/[0-9a-f]{64}\\.tar\\.gz\\?versionId=${VERSION_ID}`));
    expect(procs[1].output()).not.toContain('refused');
  });

  test('every app is served from the booted instance', async () => {
    for (const url of ['/api', '/', '/static/style.css']) {
      expect([url, (await request(`http://${netns.address}:${SITE_PORT}${url}`)).status]).toEqual([url, 200]);
    }
  });

  test('the daemon users cannot reach the instance metadata service; root can', () => {
    const token = ['python3', '-c', 'import urllib.request as u; print(u.urlopen(u.Request("http://169.254.169.254/latest/api/token", method="PUT", headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"}), timeout=5).read().decode())'];
    const asRoot = booted.run(token);
    expect([asRoot.status, String(asRoot.stdout).trim()]).toEqual([0, 'standin-imds-token']);
    for (const user of ['wsgi-api', 'wsgi-web', 'www-data']) {
      const asUser = booted.run(['setpriv', `--reuid=${user}`, `--regid=${user === 'www-data' ? 'www-data' : user}`, '--clear-groups', ...token]);
      expect([user, asUser.status, String(asUser.stderr)]).toEqual([user, 1, expect.stringMatching(/Connection refused|Errno 111/)]);
    }
  });

  test('fails the bootstrap on a tampered bundle and leaves the site as it was', async () => {
    // GIVEN the object in S3 replaced by other bytes under the same key
    const original = fs.readFileSync(objectFile);
    const tampered = Buffer.from(original);
    tampered[tampered.length - 20] ^= 0xff;
    fs.writeFileSync(objectFile, tampered);
    try {
      // WHEN the instance runs the bootstrap again
      const run = booted.run(['python3', '/opt/cdktf-apache-wsgi/bootstrap.py', '/etc/cdktf-apache-wsgi/site.json'], { AWS_ENDPOINT_URL_S3: s3Endpoint });
      // THEN it refuses the archive, unpacks nothing and the site keeps serving
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/\[bootstrap\] ERROR: bundle SHA-256 is [0-9a-f]{64}, expected [0-9a-f]{64}: refusing it/);
      expect(fs.existsSync(path.join(root, 'opt/cdktf-apache-wsgi/site.tar.gz'))).toBe(false);
      expect((await request(`http://${netns.address}:${SITE_PORT}/api`)).status).toBe(200);
    } finally {
      fs.writeFileSync(objectFile, original);
    }
  });
});
