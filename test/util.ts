import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AnnotationMetadataEntryType, Testing, TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';
import { ApacheSite, ApacheSiteProps, DaemonGroup, DaemonGroupProps, Platform, VirtualEnv } from '../lib';

export const FIXTURE_APP = path.join(__dirname, 'fixtures', 'app');

/** A fresh stack holding one ApacheSite on Debian 12. */
export function newSite(props: Partial<ApacheSiteProps> = {}): { stack: TerraformStack; site: ApacheSite } {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'example.com', ...props });
  return { stack, site };
}

/** A daemon group with its own venv in the site. */
export function newGroup(site: ApacheSite, id: string, props: Partial<DaemonGroupProps> = {}): DaemonGroup {
  const stack = TerraformStack.of(site);
  const env = props.virtualEnv ?? new VirtualEnv(stack, `${id}Env`);
  return new DaemonGroup(site, id, { ...props, virtualEnv: env });
}

/** Warning annotations recorded on one construct. */
export function warningsOf(scope: IConstruct): string[] {
  return scope.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => String(m.data));
}

/** Fake command-line tools for the scripts a local-exec runs (see fakeClis). */
export interface FakeClis {
  readonly dir: string;
  /** Replaces (or adds) a tool: it appends "<name> <args>" to the calls, then runs the script. */
  tool(name: string, script: string): void;
  /** Runs a script with /bin/sh -c, the fake tools first on PATH, and the given environment only. */
  run(script: string, env: Record<string, string>): SpawnSyncReturns<string>;
  /** Every call so far, one line each; cleared by reset. */
  calls(): string[];
  reset(): void;
  cleanup(): void;
}

/** Fake aws, docker, ... CLIs in a temporary directory: what the deploy scripts are tested with. */
export function fakeClis(tools: Record<string, string> = {}): FakeClis {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-cli-'));
  const callsFile = path.join(dir, 'calls');
  const fake: FakeClis = {
    dir,
    tool: (name, script) => fs.writeFileSync(path.join(dir, name), `#!/bin/sh\necho "${name} $*" >> ${callsFile}\n${script}\n`, { mode: 0o755 }),
    run: (script, env) => spawnSync('/bin/sh', ['-c', script], { env: { PATH: `${dir}:/usr/bin:/bin`, ...env }, encoding: 'utf8' }),
    calls: () => (fs.existsSync(callsFile) ? fs.readFileSync(callsFile, 'utf8').trim().split('\n') : []),
    reset: () => fs.rmSync(callsFile, { force: true }),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
  for (const [name, script] of Object.entries(tools)) {
    fake.tool(name, script);
  }
  return fake;
}
