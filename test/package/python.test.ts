import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { jsiiBuild, ROOT } from './jsii-build';
import { pip, pythonDepsVenv, timed } from './python-venv';

// The Python bindings used from Python: pip installs the generated package next to
// the jsii runtime and cdktf's bindings, and a Python program (python-app.py, the
// README's example) synthesizes a local-only site and a DockerHost site.
const BUILD_TIMEOUT_MS = 900_000;
const RUN_TIMEOUT_MS = 120_000;
const APP_DIR = path.join(ROOT, 'examples', 'apps', 'hello');

let scratch: string;
let venv: string;
let site: string;

interface Raised { readonly type: string; readonly message: string }
interface AppOutput {
  readonly error: Raised | null;
  readonly type_error: Raised | null;
  readonly os_id: string;
  readonly daemon_groups: number;
  readonly host_class: string;
}

/** Runs python-app.py with the venv's Python and our package on its path; returns what it printed. */
function runPythonApp(outdir: string): AppOutput {
  const output = execFileSync(path.join(venv, 'bin', 'python'), [path.join(__dirname, 'python-app.py'), APP_DIR, outdir], {
    encoding: 'utf8', timeout: RUN_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'],
    // The bundled runtime warns about Node 20 on stderr; NODE_PATH must not resolve the
    // providers from the checkout: the kernel loads every package from its bindings, and
    // keeps them unpacked (400 MB with provider-aws) with the venv, not in ~/.cache.
    env: {
      ...process.env, PYTHONPATH: site, NODE_PATH: '', JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20',
      JSII_RUNTIME_PACKAGE_CACHE_ROOT: path.join(venv, 'jsii-package-cache'),
    },
  });
  return JSON.parse(output);
}

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'python-test-'));
  const lines: string[] = [];
  venv = timed('jsii runtime and dependencies venv', () => pythonDepsVenv((l) => lines.push(l)));
  console.log(lines.join('\n'));
  const build = path.join(scratch, 'build');
  timed('jsii compile + jsii-pacmak (cdktf-apache-wsgi)', () => jsiiBuild(['--out', build, '--python']));
  // Our package changes with every commit: installed beside the cached venv, not into it.
  site = path.join(scratch, 'site');
  timed('pip install cdktf-apache-wsgi bindings', () => pip(venv, ['--no-build-isolation', '--no-deps', '--no-compile', '--target', site,
    path.join(build, 'dist', 'python')]));
}, BUILD_TIMEOUT_MS);

afterAll(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe('a Python cdktf app using the pip-installed bindings', () => {
  let outdir: string;
  let result: AppOutput;

  beforeAll(() => {
    // GIVEN python-app.py: a local-only site, a DockerHost site and DaemonGroups with threads=0 and threads="five"
    outdir = path.join(scratch, 'cdktf.out');
    // WHEN the venv's Python runs it
    result = timed('python python-app.py (import, construct, synthesize)', () => runPythonApp(outdir));
  }, RUN_TIMEOUT_MS);

  test('synthesizes the local-only site: Apache config, no resources', () => {
    const conf = fs.readFileSync(path.join(outdir, 'stacks', 'local', 'apache', 'site', 'site.conf'), 'utf8');
    expect(conf).toMatch(/^\s*WSGIDaemonProcess hello .*processes=2 threads=5/m);
    expect(conf).toMatch(/^\s*WSGIScriptAlias \/ /m);
    const tf = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'local', 'cdk.tf.json'), 'utf8'));
    expect(tf.resource).toBeUndefined();
  });

  test('synthesizes the DockerHost site: the image, the container and the release in cdk.tf.json', () => {
    const tf = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'docker', 'cdk.tf.json'), 'utf8'));
    expect(Object.keys(tf.resource).sort()).toEqual(['docker_container', 'docker_image', 'terraform_data']);
    expect(Object.keys(tf.provider)).toEqual(['docker']);
    expect(fs.readFileSync(path.join(outdir, 'stacks', 'docker', 'apache', 'site', 'site.conf'), 'utf8')).toContain('WSGIDaemonProcess hello ');
  });

  test('reads enum-like statics, their fields and construct properties back in Python', () => {
    expect(result.os_id).toBe('debian-12');
    expect(result.daemon_groups).toBe(1);
    expect(result.host_class).toBe('DockerHost');
  });

  test('fails with a Python exception carrying the ValidationError text and construct path', () => {
    expect(result.error?.type).toBe('RuntimeError');
    expect(result.error?.message).toMatch(/^local\/Site\/Bad: threads 0 is invalid; expected an integer from 1 to 512/);
  });

  test('fails a wrongly typed prop in Python, before the call: the runtime type check works with the mirror\'s typeguard 4', () => {
    expect(result.type_error).toEqual({ type: 'TypeCheckError', message: 'str did not match any element in the union:' });
  });
});
