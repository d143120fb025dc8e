import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { cli } from './cli-process';

/** Names and bytes of the files in a ustar archive (plain files only, as the library writes them). */
function untar(archive: Buffer): Map<string, Buffer> {
  const tar = zlib.gunzipSync(archive);
  const files = new Map<string, Buffer>();
  for (let at = 0; at + 512 <= tar.length && tar[at] !== 0;) {
    const name = tar.subarray(at, at + 100).toString('utf8').replace(/\0.*$/s, '');
    const prefix = tar.subarray(at + 345, at + 500).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(tar.subarray(at + 124, at + 136).toString('utf8').replace(/\0.*$/s, '').trim(), 8);
    files.set(prefix ? `${prefix}/${name}` : name, tar.subarray(at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

function filesUnder(dir: string, rel = ''): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(dir, path.join(rel, e.name)) : [path.join(rel, e.name)])).sort();
}

describe('cdktf-apache-wsgi render', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-render-'));
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  test('writes the Apache config, the VM bundle, a cloud-config carrying it and the image context, without Terraform', () => {
    // WHEN the example program is rendered
    const result = cli(['render', 'examples/main.ts', '--out', out]);
    // THEN every site got a directory named by its construct path
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(result.stdout).toContain(`two-apps/Site: wrote ${path.join(out, 'two-apps', 'Site')}`);
    const site = path.join(out, 'two-apps', 'Site');
    // AND the Apache config is the one the bundle installs
    expect(fs.readFileSync(path.join(site, 'apache/site.conf'), 'utf8')).toBe(fs.readFileSync(path.join(site, 'vm/apache/site.conf'), 'utf8'));
    expect(fs.readFileSync(path.join(site, 'apache/site.conf'), 'utf8')).toContain('WSGIDaemonProcess');
    // AND the VM recipe is a valid shell script that starts Apache under systemd
    const script = path.join(site, 'vm/provision.sh');
    expect(spawnSync('sh', ['-n', script]).status).toBe(0);
    expect(fs.readFileSync(script, 'utf8')).toContain('systemctl');
    // AND no Terraform was written anywhere
    expect(filesUnder(out).filter((f) => f.endsWith('.tf.json'))).toEqual([]);
    // AND every site has an image build context: a container host's own, or one on port 8080
    expect(fs.readFileSync(path.join(out, 'docker-site', 'Site', 'docker', 'Dockerfile'), 'utf8')).toMatch(/^FROM /m);
    const dockerfile = fs.readFileSync(path.join(site, 'docker', 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^EXPOSE 8080$/m);
    expect(fs.existsSync(path.join(site, 'docker', 'bundle', 'phases', 'start.sh'))).toBe(true);
  });

  test('the cloud-config passes cloud-init\'s schema and carries exactly the VM bundle', () => {
    // GIVEN a rendered site
    const site = path.join(out, 'two-apps', 'Site');
    const file = path.join(site, 'cloud-init.yaml');
    // WHEN cloud-init checks it
    const schema = spawnSync('cloud-init', ['schema', '--config-file', file], { encoding: 'utf8' });
    // THEN it is valid, and its archive holds the vm/ files byte for byte, unpacked where the recipe expects them
    expect({ status: schema.status, out: schema.stdout.trim() }).toEqual({ status: 0, out: `Valid cloud-config: ${file}` });
    const doc = JSON.parse(fs.readFileSync(file, 'utf8').replace(/^#cloud-config\n/, ''));
    const archive = untar(Buffer.from(doc.write_files[0].content, 'base64'));
    expect([...archive.keys()].sort()).toEqual(filesUnder(path.join(site, 'vm')));
    for (const [rel, bytes] of archive) {
      expect([rel, bytes.equals(fs.readFileSync(path.join(site, 'vm', rel)))]).toEqual([rel, true]);
    }
    expect(doc.runcmd[doc.runcmd.length - 1]).toEqual(['sh', '/opt/cdktf-apache-wsgi/site/provision.sh']);
  });

  test('renders again over its own output, keeping only the one site asked for', () => {
    // WHEN one site is rendered again into the same directory
    const result = cli(['render', 'examples/main.ts', '--site', 'single-app/Site', '--out', out]);
    // THEN it replaced that site's directory
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(result.stdout.trim().split('\n')).toEqual([`single-app/Site: wrote ${path.join(out, 'single-app', 'Site')}`]);
  });

  test('fails to write over a directory render did not write, leaving it as it was', () => {
    // GIVEN a directory of the user's where the site would go
    const mine = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-render-mine-'));
    fs.mkdirSync(path.join(mine, 'single-app', 'Site'), { recursive: true });
    fs.writeFileSync(path.join(mine, 'single-app', 'Site', 'notes.txt'), 'mine');
    try {
      // WHEN render is pointed at it
      const result = cli(['render', 'examples/main.ts', '--site', 'single-app/Site', '--out', mine]);
      // THEN it refuses, naming the site and the directory, and the file is still there
      expect(result.stderr).toContain(`single-app/Site: ${path.join(mine, 'single-app', 'Site')} exists and was not written by render`);
      expect(result.status).toBe(1);
      expect(fs.readFileSync(path.join(mine, 'single-app', 'Site', 'notes.txt'), 'utf8')).toBe('mine');
    } finally {
      fs.rmSync(mine, { recursive: true, force: true });
    }
  });

  test('fails with usage and exit code 2 without --out or with a serve-only option', () => {
    expect(cli(['render', 'examples/main.ts']).stderr).toContain('render needs --out DIR');
    const withCheck = cli(['render', 'examples/main.ts', '--out', out, '--check']);
    expect([withCheck.status, withCheck.stderr.split('\n')[0]]).toEqual([2, '--check is not an option of render']);
  });
});

describe('renderedSiteDir', () => {
  test('keeps every site inside the output directory whatever its construct ids', () => {
    // GIVEN sites whose ids would climb out of, or escape, a path
    const { App, TerraformStack } = require('cdktf');
    const { ApacheSite, Platform } = require('../../lib');
    const { renderedSiteDir } = require('../../lib/private/render-site');
    const stack = new TerraformStack(new App(), '..');
    const dirs = ['..', '.hidden', 'a b;$(x)'].map((id) => renderedSiteDir(new ApacheSite(stack, id, { platform: Platform.DEBIAN_12, serverName: 'x.example.com' }), '/out'));
    // THEN each is a plain directory two levels under /out
    expect(dirs).toEqual(['/out/_./_.', '/out/_./_hidden', '/out/_./a_b___x_']);
  });
});
