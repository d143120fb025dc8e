import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfNode, renderConf, SiteLayout, SiteSpec, standaloneConf, STANDALONE_MODULES, StandaloneHost } from '../../lib/conf';

/** The Apache binary and module directory of this machine (Debian layout). */
export const APACHE_BINARY = process.env.APACHE_BINARY ?? 'apache2';
export const APACHE_MODULES_DIR = process.env.APACHE_MODULES_DIR ?? '/usr/lib/apache2/modules';

/** True when `apache2 -v` runs here; the syntax-check tests need it. */
export function apacheAvailable(): boolean {
  return spawnSync(APACHE_BINARY, ['-v'], { stdio: 'ignore' }).status === 0;
}

/** Users that exist on this machine (a WSGIDaemonProcess user= must, or `apache2 -t` fails). */
export function existingUsers(): Set<string> {
  const text = fs.existsSync('/etc/passwd') ? fs.readFileSync('/etc/passwd', 'utf8') : '';
  return new Set(text.split('\n').map((l) => l.split(':')[0]).filter((n) => n.length > 0));
}

export function existingGroups(): Set<string> {
  const text = fs.existsSync('/etc/group') ? fs.readFileSync('/etc/group', 'utf8') : '';
  return new Set(text.split('\n').map((l) => l.split(':')[0]).filter((n) => n.length > 0));
}

/** A scratch directory for configs, sockets and logs; remove it with fs.rmSync when done. */
export function makeScratchDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A standalone host in `dir`: the modules the library needs, Apache's children as www-data when root. */
export function standaloneHost(dir: string, port = 18080): StandaloneHost {
  const modules: Record<string, string> = {};
  for (const m of STANDALONE_MODULES) {
    modules[m] = path.join(APACHE_MODULES_DIR, `mod_${m}.so`);
  }
  const root = process.getuid?.() === 0;
  return {
    serverRoot: dir,
    pidFile: path.join(dir, 'httpd.pid'),
    listenAddress: '127.0.0.1',
    port,
    modules,
    mimeTypesFile: fs.existsSync('/etc/mime.types') ? '/etc/mime.types' : undefined,
    errorLog: path.join(dir, 'server-error.log'),
    user: root ? 'www-data' : undefined,
  };
}

/** A layout whose sockets and logs live in `dir`; code and venv paths stay as given (apache2 -t never opens them). */
export function scratchLayout(base: SiteLayout, dir: string, daemonUsers: boolean): SiteLayout {
  return {
    ...base,
    home: dir,
    documentRoot: dir,
    socketPrefix: path.join(dir, 'wsgi'),
    errorLog: path.join(dir, 'error.log'),
    accessLog: path.join(dir, 'access.log'),
    daemonUsers,
  };
}

/** The text of one self-contained httpd config for the site. */
export function standaloneText(spec: SiteSpec, layout: SiteLayout, host: StandaloneHost): string {
  const nodes: ConfNode[] = standaloneConf(spec, layout, host);
  return renderConf(nodes, { header: [`standalone test config for site ${spec.name}`] });
}

export interface SyntaxResult {
  readonly file: string;
  readonly ok: boolean;
  /** stdout + stderr of `apache2 -t -f file`. */
  readonly output: string;
}

/** `apache2 -t -f FILE` for one file. */
export function syntaxCheck(file: string): Promise<SyntaxResult> {
  return new Promise((resolve) => {
    const child = spawn(APACHE_BINARY, ['-t', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.on('error', (e) => resolve({ file, ok: false, output: String(e) }));
    child.on('close', (code) => resolve({ file, ok: code === 0 && /Syntax OK/.test(output), output }));
  });
}

/**
 * `apache2 -t` over many config files with at most `concurrency` running at
 * once (each check is a ~30 ms process: a bounded pool keeps 2 cores busy
 * without forking thousands of processes at the same moment).
 */
export async function syntaxCheckAll(files: readonly string[], concurrency = Math.max(2, os.cpus().length * 2)): Promise<SyntaxResult[]> {
  const results: SyntaxResult[] = new Array(files.length);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      results[i] = await syntaxCheck(files[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  return results;
}

/** Lines of `apache2 -t` output that are warnings (AHnnnnn) on an otherwise accepted config. */
export function warnings(output: string): string[] {
  return output.split('\n').filter((l) => /AH\d{5}/.test(l));
}
