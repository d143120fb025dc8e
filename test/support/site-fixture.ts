import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, TerraformStack } from 'cdktf';
import { ApacheSite, ApacheSiteProps, DaemonGroup, DaemonGroupProps, Platform, VirtualEnv, WsgiApp, WsgiAppProps } from '../../lib';

const created: string[] = [];
process.once('exit', () => created.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** An app source directory with wsgi.py, static/ and sub/wsgi.py, removed at process exit. */
export function appSource(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'app-src-'));
  fs.writeFileSync(path.join(dir, 'wsgi.py'), 'def application(e, s):\n    pass\n');
  fs.mkdirSync(path.join(dir, 'static'));
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.writeFileSync(path.join(dir, 'sub', 'wsgi.py'), '');
  created.push(dir);
  return dir;
}

export interface Fixture {
  readonly stack: TerraformStack;
  readonly site: ApacheSite;
  readonly group: DaemonGroup;
  readonly app: WsgiApp;
}

/** One site, one daemon group, one app at '/', each prop overridable. */
export function siteFixture(over: { site?: Partial<ApacheSiteProps>; group?: Partial<DaemonGroupProps>; app?: Partial<WsgiAppProps> } = {}): Fixture {
  const stack = new TerraformStack(new App(), 'Stack');
  const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'www.example.com', ...over.site });
  const venv = new VirtualEnv(stack, 'Env');
  const group = new DaemonGroup(site, 'Web', { virtualEnv: venv, ...over.group });
  const app = new WsgiApp(site, 'WebApp', { mountPath: '/', source: appSource(), scriptFile: 'wsgi.py', daemonGroup: group, ...over.app });
  return { stack, site, group, app };
}
