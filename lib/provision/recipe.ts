import * as path from 'path';
import type { ApacheSite } from '../apache-site';
import { ModWsgiSource, OsFamily, Platform } from '../platform/platform';

/** How the recipe leaves Apache running. */
export enum StartMode {
  /** `systemctl enable --now`: VMs. */
  SYSTEMD = 'systemd',
  /** `apachectl start`, no init system: chroots and tests. */
  BACKGROUND = 'background',
  /** Build only; the container's CMD runs Apache in the foreground. */
  NONE = 'none',
}

export interface RecipeOptions {
  /** Port the virtual host listens on (the only Listen). */
  readonly port: number;
  readonly startMode: StartMode;
  /** Where the bundle (this script, configs, code) is on the target. */
  readonly bundleDir: string;
  /** Send Apache's logs to stdout/stderr (containers). @default false */
  readonly logsToStdout?: boolean;
}

/** One step of the provisioning recipe: data, rendered to shell by renderShellScript. */
export type RecipeStep =
  | { readonly kind: 'packages'; readonly family: OsFamily; readonly packages: readonly string[] }
  | { readonly kind: 'pipModWsgi'; readonly python: string; readonly requirement: string; readonly dir: string; readonly loadConf: string }
  /** Reads the Python X.Y mod_wsgi links (ldd) into MOD_WSGI_PYTHON; fails if it is not `expected`. */
  | { readonly kind: 'checkModWsgiPython'; readonly modWsgiPath?: string; readonly loadConf?: string; readonly expected: string }
  | { readonly kind: 'user'; readonly name: string; readonly group: string; readonly home: string }
  | { readonly kind: 'directory'; readonly path: string }
  | { readonly kind: 'installTree'; readonly from: string; readonly to: string }
  | {
    readonly kind: 'venv'; readonly name: string; readonly python: string; readonly dir: string; readonly systemSitePackages: boolean;
    readonly withPip: boolean; readonly requirementsFile?: string; readonly requirements: readonly string[];
    readonly localPackages: readonly string[]; readonly requireHashes: boolean;
  }
  | { readonly kind: 'apacheConfig'; readonly family: OsFamily; readonly site: string; readonly port: number; readonly serverConf: string; readonly siteConf: string }
  | { readonly kind: 'configTest'; readonly argv: readonly string[] }
  | { readonly kind: 'start'; readonly mode: StartMode; readonly family: OsFamily }
  | { readonly kind: 'healthCheck'; readonly python: string; readonly host: string; readonly urls: readonly string[] };

/** What building one venv takes: the same on a host and in a local run. */
export type VenvBuild = Omit<Extract<RecipeStep, { kind: 'venv' }>, 'kind' | 'name'>;

/**
 * The commands that build a venv, in order: `python -m venv`, then one pip
 * install each for the requirements file, the specifiers and the local packages.
 */
export function venvBuildCommands(build: VenvBuild): string[][] {
  const pip = [`${build.dir}/bin/python`, '-m', 'pip', 'install', '--no-input', '--disable-pip-version-check'];
  const commands = [[build.python, '-m', 'venv', ...(build.systemSitePackages ? ['--system-site-packages'] : []), ...(build.withPip ? [] : ['--without-pip']), build.dir]];
  if (build.requirementsFile) {
    commands.push([...pip, ...(build.requireHashes ? ['--require-hashes'] : []), '-r', build.requirementsFile]);
  }
  if (build.requirements.length > 0) {
    commands.push([...pip, ...build.requirements]);
  }
  if (build.localPackages.length > 0) {
    commands.push([...pip, '--no-index', ...build.localPackages]);
  }
  return commands;
}

export interface Recipe {
  readonly siteName: string;
  readonly platformId: string;
  readonly steps: readonly RecipeStep[];
}

/** Paths inside the bundle, relative to its root. */
export const BUNDLE = {
  script: 'provision.sh',
  serverConf: 'apache/server.conf',
  siteConf: 'apache/site.conf',
  app: (name: string) => `apps/${name}`,
  requirements: (venv: string) => `venvs/${venv}/requirements.txt`,
  localPackage: (venv: string, file: string) => `venvs/${venv}/packages/${path.basename(file)}`,
};

/**
 * The one provisioning recipe of a site, shared by every host type so a
 * container and a VM are built the same way.
 */
export function buildRecipe(site: ApacheSite, options: RecipeOptions): Recipe {
  const platform = site.platform;
  const layout = site.deployedLayout();
  const inBundle = (rel: string) => path.posix.join(options.bundleDir, rel);

  const steps: RecipeStep[] = [{ kind: 'packages', family: platform.os.family, packages: packagesFor(platform) }];
  if (platform.modWsgiSource === ModWsgiSource.PIP) {
    steps.push({
      kind: 'pipModWsgi', python: platform.pythonBinary, requirement: platform.modWsgiPackage,
      dir: `${site.deployRoot}/mod_wsgi`, loadConf: modWsgiLoadConf(platform),
    });
  }
  steps.push(platform.modWsgiSource === ModWsgiSource.PIP
    ? { kind: 'checkModWsgiPython', loadConf: modWsgiLoadConf(platform), expected: platform.pythonVersion }
    : { kind: 'checkModWsgiPython', modWsgiPath: `${platform.apache.modulesDir}/mod_wsgi.so`, expected: platform.pythonVersion });
  for (const group of site.daemonGroups) {
    steps.push({ kind: 'user', name: group.user, group: group.group, home: site.deployRoot });
  }
  steps.push(
    { kind: 'directory', path: `${site.deployRoot}/apps` },
    { kind: 'directory', path: `${site.deployRoot}/venvs` },
    { kind: 'directory', path: layout.documentRoot },
  );
  for (const app of site.apps) {
    steps.push({ kind: 'installTree', from: inBundle(BUNDLE.app(app.appName)), to: layout.appDirs[app.appName] });
  }
  for (const venv of site.virtualEnvs) {
    steps.push({
      kind: 'venv', name: venv.venvName, python: platform.pythonBinary, dir: layout.venvDirs[venv.venvName],
      systemSitePackages: venv.systemSitePackages, withPip: venv.needsPip,
      requirementsFile: venv.requirementsFile ? inBundle(BUNDLE.requirements(venv.venvName)) : undefined,
      requirements: venv.requirements, localPackages: venv.localPackages.map((p) => inBundle(BUNDLE.localPackage(venv.venvName, p))),
      requireHashes: venv.requireHashes,
    });
  }
  steps.push(
    { kind: 'apacheConfig', family: platform.os.family, site: site.siteName, port: options.port, serverConf: inBundle(BUNDLE.serverConf), siteConf: inBundle(BUNDLE.siteConf) },
    { kind: 'configTest', argv: [platform.apache.ctl, '-t'] },
  );
  if (options.startMode !== StartMode.NONE) {
    steps.push(
      { kind: 'start', mode: options.startMode, family: platform.os.family },
      { kind: 'healthCheck', python: platform.pythonBinary, host: site.serverName, urls: site.apps.map((a) => `http://127.0.0.1:${options.port}${a.mountPath}`) },
    );
  }
  return { siteName: site.siteName, platformId: platform.id, steps };
}

/** Distro packages: Apache, mod_wsgi (or what pip needs to build it) and a venv-capable Python. */
export function packagesFor(platform: Platform): string[] {
  const py = `python${platform.pythonVersion}`;
  const debian = platform.os.family === OsFamily.DEBIAN;
  const pythonPackages = debian ? [py, `${py}-venv`] : [py.replace(/^python3\.9$/, 'python3'), `${py.replace(/^python3\.9$/, 'python3')}-pip`];
  if (platform.modWsgiSource === ModWsgiSource.PIP) {
    return [platform.apache.package, ...platform.apache.devPackages, ...pythonPackages, debian ? `${py}-dev` : `${py.replace(/^python3\.9$/, 'python3')}-devel`, 'gcc'];
  }
  return [platform.apache.package, platform.modWsgiPackage, ...pythonPackages];
}

function modWsgiLoadConf(platform: Platform): string {
  return platform.os.family === OsFamily.DEBIAN ? '/etc/apache2/mods-available/wsgi.load' : '/etc/httpd/conf.modules.d/10-wsgi.conf';
}
