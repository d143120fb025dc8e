import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SiteLayout, SiteSpec } from '../conf/site-spec';
import { bootCommand, bootFiles, secretsFile } from '../provision/boot';
import { groupSecrets } from '../provision/recipe';

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** How the local runner gives apps what a host gives them. */
export interface LocalAppRuntime {
  /** User the daemons and release commands run as (root runs); undefined: the current user. */
  readonly runAs?: string;
  /** Secret values by variable name. */
  readonly secretValues: Readonly<Record<string, string>>;
  readonly log: (line: string) => void;
}

/**
 * Secret values for a local run: from the caller's environment, or else from an
 * env file (`NAME=value` lines). Every secret the site uses must be given.
 */
export function localSecretValues(spec: SiteSpec, env: NodeJS.ProcessEnv, envFile?: string): Record<string, string> {
  const fromFile = envFile ? parseEnvFile(envFile) : {};
  const names = [...new Set(spec.apps.flatMap((a) => a.secrets.map((s) => s.envVar)))];
  const missing = names.filter((n) => env[n] === undefined && fromFile[n] === undefined);
  if (missing.length > 0) {
    throw new Error(`${spec.constructPath}: no value for secret${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: a local run takes secret values from the environment${envFile ? ` or ${envFile}` : ' or an env file (--env-file)'}`);
  }
  return Object.fromEntries(names.map((n) => [n, env[n] ?? fromFile[n]]));
}

/** `NAME=value` lines; blank lines and `#` comments skipped; one pair of surrounding quotes removed. */
export function parseEnvFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  fs.readFileSync(file, 'utf8').split(/\r?\n/).forEach((line, i) => {
    const text = line.trim();
    if (text === '' || text.startsWith('#')) {
      return;
    }
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(text);
    if (!match) {
      throw new Error(`${file}:${i + 1}: expected NAME=value`);
    }
    const value = match[2];
    out[match[1]] = /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value;
  });
  return out;
}

/** Boot files and data directories, as the provisioning recipe makes them on a host. */
export function installAppRuntime(spec: SiteSpec, layout: SiteLayout, runtime: LocalAppRuntime): void {
  fs.mkdirSync(layout.bootDir, { recursive: true, mode: 0o755 });
  for (const file of bootFiles(spec, layout)) {
    fs.writeFileSync(path.join(layout.bootDir, file.name), file.content, { mode: 0o644 });
  }
  for (const group of spec.groups) {
    for (const dir of group.dataDirectories) {
      const full = path.join(layout.dataDir, group.name, dir.name);
      // Parents passable (0755), the directory itself private to the daemons' user.
      fs.mkdirSync(path.dirname(full), { recursive: true, mode: 0o755 });
      if (!fs.existsSync(full)) {
        fs.mkdirSync(full, { mode: 0o700 });
      }
      chownTo(runtime.runAs, full);
      if (runtime.runAs && spawnSync('runuser', ['-u', runtime.runAs, '--', 'test', '-w', full], { env: { PATH: SYSTEM_PATH } }).status !== 0) {
        throw new Error(`${spec.constructPath}: data directory ${full} is not writable by ${runtime.runAs}, the user the daemons run as: let it pass through every parent directory (chmod o+x)`);
      }
    }
  }
}

/** Each group's secrets file, readable only by the daemons' user. */
export function writeLocalSecrets(spec: SiteSpec, layout: SiteLayout, runtime: LocalAppRuntime): void {
  fs.mkdirSync(layout.secretsDir, { recursive: true, mode: 0o711 });
  // The same per-group lists a host's recipe resolves.
  for (const { group, secrets } of groupSecrets(spec)) {
    const file = secretsFile(layout, group.name);
    const values = Object.fromEntries(secrets.map((s) => [s.envVar, runtime.secretValues[s.envVar]]));
    fs.writeFileSync(file, JSON.stringify(values), { mode: 0o400 });
    chownTo(runtime.runAs, file);
  }
}

/** Runs every app's build commands (no secrets) in its copy of the code; throws with the command's output on failure. */
export function runBuildCommands(spec: SiteSpec, layout: SiteLayout, runtime: LocalAppRuntime): void {
  runCommands(spec, layout, runtime, 'build');
}

/** Runs every app's release commands as the daemons' user, with secrets; throws with the command's output on failure. */
export function runReleaseCommands(spec: SiteSpec, layout: SiteLayout, runtime: LocalAppRuntime): void {
  runCommands(spec, layout, runtime, 'release');
}

function runCommands(spec: SiteSpec, layout: SiteLayout, runtime: LocalAppRuntime, kind: 'build' | 'release'): void {
  for (const app of spec.apps) {
    const group = spec.groups.find((g) => g.name === app.processGroup);
    const commands = kind === 'build' ? app.buildCommands : app.releaseCommands;
    if (!group || commands.length === 0) {
      continue;
    }
    const python = `${layout.venvDirs[group.venvName]}/bin/python`;
    for (const argv of commands) {
      runtime.log(`${kind} ${app.name}: ${argv.join(' ')}`);
      const command = bootCommand(python, layout, app.name, argv, kind === 'release');
      // Release commands run as the daemons do; build commands as the owner of the copy.
      const [cmd, ...args] = kind === 'release' && runtime.runAs ? ['runuser', '-u', runtime.runAs, '--', ...command] : command;
      const result = spawnSync(cmd, args, { encoding: 'utf8', env: { PATH: SYSTEM_PATH, LANG: 'C.UTF-8', HOME: layout.home } });
      if (result.status !== 0) {
        throw new Error(`${kind} command of app ${app.name} failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`}): ${argv.join(' ')}\n${result.stdout}${result.stderr}`);
      }
    }
  }
}

function chownTo(user: string | undefined, file: string): void {
  if (user) {
    execFileSync('chown', [`${user}:`, file]);
  }
}
