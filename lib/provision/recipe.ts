import * as path from 'path';
import { AppSpec, DaemonGroupSpec, HOST_PROCESSES_VARIABLE, needsHostCpus, PROCESSES_PER_CPU, SiteLayout, SiteSpec, VenvSpec } from '../conf/site-spec';
import { ModWsgiSource, Platform } from '../platform/platform';
import { bootCommand, bootFiles } from './boot';
import { HealthCheck } from './health';

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

/** What the provisioning layer works from: plain data only. */
export interface ProvisionInput {
  readonly spec: SiteSpec;
  readonly platform: Platform;
  /** Deployed paths (see deployedLayout). */
  readonly layout: SiteLayout;
}

/** What building one venv takes: the same on a host and in a local run. */
export interface VenvBuild {
  readonly python: string;
  readonly dir: string;
  readonly systemSitePackages: boolean;
  readonly withPip: boolean;
  readonly requirementsFile?: string;
  readonly requirements: readonly string[];
  readonly localPackages: readonly string[];
  readonly requireHashes: boolean;
}

/** One step of the provisioning recipe: data, rendered to shell by renderShellScript. */
export type RecipeStep =
  | { readonly kind: 'packages'; readonly refresh?: readonly string[]; readonly install: readonly string[]; readonly clean?: readonly string[]; readonly packages: readonly string[] }
  | { readonly kind: 'pipModWsgi'; readonly python: string; readonly requirement: string; readonly dir: string; readonly loadConf: string }
  /** Reads the Python X.Y mod_wsgi links (ldd) into MOD_WSGI_PYTHON; fails if it is not `expected`. */
  | { readonly kind: 'checkModWsgiPython'; readonly modWsgiPath?: string; readonly loadConf?: string; readonly expected: string }
  | { readonly kind: 'user'; readonly name: string; readonly group: string; readonly home: string; readonly shell: string }
  | { readonly kind: 'directory'; readonly path: string }
  | { readonly kind: 'installTree'; readonly from: string; readonly to: string }
  /**
   * Root-owned and read-only code: readable by `group` only (world-readable when
   * undefined), except `publicDirs` (static files) that Apache's own user serves.
   */
  | { readonly kind: 'protectTree'; readonly path: string; readonly group?: string; readonly publicDirs: readonly string[] }
  /** The generated entry scripts and boot configs, each readable only by its daemon group. */
  | { readonly kind: 'bootFiles'; readonly from: string; readonly to: string; readonly files: readonly { readonly name: string; readonly group?: string }[] }
  /** A writable directory kept across deploys, mode 0700. */
  | { readonly kind: 'dataDirectory'; readonly path: string; readonly user: string; readonly group: string }
  /** A build or release command, run as `user` through the boot module (argv is the whole command). */
  | { readonly kind: 'appCommand'; readonly phase: 'build' | 'release'; readonly app: string; readonly dir: string; readonly user: string; readonly group: string; readonly home: string; readonly argv: readonly string[] }
  | ({ readonly kind: 'venv'; readonly name: string } & VenvBuild)
  | {
    readonly kind: 'apacheConfig';
    /** Files to install: bundle path -> system path. */
    readonly files: readonly { readonly from: string; readonly to: string }[];
    readonly listenFile: string;
    readonly listenFileOwned: boolean;
    readonly port: number;
    /** Commands that enable modules, the config and the site. */
    readonly enable: readonly (readonly string[])[];
    /** Commands that take the distro's default site away; may fail. */
    readonly disable: readonly (readonly string[])[];
  }
  /** Writes `Define <variable> <processesPerCpu x nproc>` to path: daemon processes per group, read by the config at Apache start. */
  | { readonly kind: 'hostFacts'; readonly path: string; readonly variable: string; readonly processesPerCpu: number }
  | { readonly kind: 'configTest'; readonly argv: readonly string[] }
  | { readonly kind: 'start'; readonly mode: StartMode; readonly service: string; readonly ctl: string }
  | { readonly kind: 'healthCheck'; readonly python: string; readonly probe: string; readonly host: string; readonly checks: readonly HealthCheck[] };

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

/** A venv build from its spec, with its files at the given paths. */
export function venvBuild(venv: VenvSpec, python: string, dir: string, files: { requirementsFile?: string; localPackages: readonly string[] }): VenvBuild {
  return {
    python, dir, systemSitePackages: venv.systemSitePackages, withPip: venv.withPip,
    requirementsFile: files.requirementsFile, requirements: venv.requirements, localPackages: files.localPackages, requireHashes: venv.requireHashes,
  };
}

export interface Recipe {
  readonly siteName: string;
  readonly platformId: string;
  readonly steps: readonly RecipeStep[];
}

/** Paths inside the bundle, relative to its root. */
export const BUNDLE = {
  script: 'provision.sh',
  healthProbe: 'health.py',
  boot: 'boot',
  serverConf: 'apache/server.conf',
  siteConf: 'apache/site.conf',
  app: (name: string) => `apps/${name}`,
  requirements: (venv: string) => `venvs/${venv}/requirements.txt`,
  localPackage: (venv: string, file: string) => `venvs/${venv}/packages/${path.basename(file)}`,
};

/** Modules the rendered config uses beyond those every distro enables. */
const MODULES = ['wsgi', 'headers', 'reqtimeout', 'alias', 'mime'];

/**
 * The one provisioning recipe of a site, shared by every host type so a
 * container and a VM are built the same way.
 */
export function buildRecipe(input: ProvisionInput, options: RecipeOptions): Recipe {
  const { spec, platform, layout } = input;
  const apache = platform.apache;
  const inBundle = (rel: string) => path.posix.join(options.bundleDir, rel);

  const os = platform.os;
  const steps: RecipeStep[] = [{
    kind: 'packages', refresh: os.packageManager.refresh, install: os.packageManager.install,
    clean: os.packageManager.clean, packages: platform.systemPackages,
  }];
  if (platform.modWsgiSource === ModWsgiSource.PIP) {
    steps.push({ kind: 'pipModWsgi', python: platform.pythonBinary, requirement: platform.modWsgiPackage, dir: `${layout.home}/mod_wsgi`, loadConf: apache.modWsgiLoadConf });
  }
  steps.push(platform.modWsgiSource === ModWsgiSource.PIP
    ? { kind: 'checkModWsgiPython', loadConf: apache.modWsgiLoadConf, expected: platform.pythonVersion }
    : { kind: 'checkModWsgiPython', modWsgiPath: `${apache.modulesDir}/mod_wsgi.so`, expected: platform.pythonVersion });
  for (const group of spec.groups) {
    if (group.user) {
      steps.push({ kind: 'user', name: group.user, group: group.group ?? group.user, home: layout.home, shell: os.noLoginShell });
    }
  }
  steps.push(
    { kind: 'directory', path: `${layout.home}/apps` },
    { kind: 'directory', path: `${layout.home}/venvs` },
    { kind: 'directory', path: layout.documentRoot },
    { kind: 'directory', path: layout.dataDir },
  );
  for (const app of spec.apps) {
    steps.push({ kind: 'installTree', from: inBundle(BUNDLE.app(app.name)), to: layout.appDirs[app.name] });
  }
  for (const venv of spec.venvs) {
    steps.push({
      kind: 'venv', name: venv.name,
      ...venvBuild(venv, platform.pythonBinary, layout.venvDirs[venv.name], {
        requirementsFile: venv.requirementsFile ? inBundle(BUNDLE.requirements(venv.name)) : undefined,
        localPackages: venv.localPackages.map((p) => inBundle(BUNDLE.localPackage(venv.name, p))),
      }),
    });
  }
  steps.push({
    kind: 'bootFiles', from: inBundle(BUNDLE.boot), to: layout.bootDir,
    files: bootFiles(spec, layout).map((f) => ({ name: f.name, group: f.readers?.group })),
  });
  for (const group of spec.groups) {
    if (group.dataDirectories.length > 0) {
      steps.push({ kind: 'directory', path: `${layout.dataDir}/${group.name}` });
    }
    for (const dir of group.dataDirectories) {
      steps.push({ kind: 'dataDirectory', path: `${layout.dataDir}/${group.name}/${dir.name}`, user: group.user ?? apache.user, group: group.group ?? group.user ?? apache.user });
    }
  }
  // Build commands write into the new code before it is locked down.
  steps.push(...appCommands(input, 'build'));
  for (const app of spec.apps) {
    const group = groupOf(spec, app);
    steps.push({ kind: 'protectTree', path: layout.appDirs[app.name], group: group?.group ?? group?.user, publicDirs: app.staticFiles.map((f) => f.directory) });
  }
  if (needsHostCpus(spec) && layout.hostFactsFile !== undefined) {
    steps.push({ kind: 'hostFacts', path: layout.hostFactsFile, variable: HOST_PROCESSES_VARIABLE, processesPerCpu: PROCESSES_PER_CPU });
  }
  const serverConfName = `wsgi-${spec.name}-server`;
  const siteConfName = `wsgi-${spec.name}-site`;
  steps.push(
    {
      kind: 'apacheConfig',
      files: [
        { from: inBundle(BUNDLE.serverConf), to: `${apache.serverConfDir}/${serverConfName}.conf` },
        { from: inBundle(BUNDLE.siteConf), to: `${apache.siteConfDir}/${siteConfName}.conf` },
      ],
      listenFile: apache.listenFile,
      listenFileOwned: apache.listenFileOwned,
      port: options.port,
      enable: [
        ...(apache.enableModules ? [[...apache.enableModules, ...MODULES]] : []),
        ...(apache.enableConf ? [[...apache.enableConf, serverConfName]] : []),
        ...(apache.enableSite ? [[...apache.enableSite, siteConfName]] : []),
      ],
      disable: apache.defaultSiteOff,
    },
    { kind: 'configTest', argv: [apache.ctl, '-t'] },
  );
  if (options.startMode !== StartMode.NONE) {
    // Release commands (migrations) run before the new code takes traffic.
    steps.push(...appCommands(input, 'release'));
    steps.push(
      { kind: 'start', mode: options.startMode, service: apache.service, ctl: apache.ctl },
      {
        kind: 'healthCheck', python: platform.pythonBinary, probe: inBundle(BUNDLE.healthProbe), host: spec.serverName,
        checks: healthChecks(spec, `http://127.0.0.1:${options.port}`),
      },
    );
  }
  return { siteName: spec.name, platformId: platform.id, steps };
}

function groupOf(spec: SiteSpec, app: AppSpec): DaemonGroupSpec | undefined {
  return spec.groups.find((g) => g.name === app.processGroup);
}

/** Each app's build or release commands as steps, run as its daemon group's user. */
export function appCommands(input: ProvisionInput, phase: 'build' | 'release'): RecipeStep[] {
  const { spec, layout, platform } = input;
  return spec.apps.flatMap((app) => {
    const group = groupOf(spec, app);
    const commands = phase === 'build' ? app.buildCommands : app.releaseCommands;
    if (!group || commands.length === 0) {
      return [];
    }
    const user = group.user ?? platform.apache.user;
    const python = `${layout.venvDirs[group.venvName]}/bin/python`;
    return commands.map((argv): RecipeStep => ({
      kind: 'appCommand', phase, app: app.name, dir: layout.appDirs[app.name], user, group: group.group ?? user, home: layout.home,
      argv: bootCommand(python, layout, app.name, argv, phase === 'release'),
    }));
  });
}

/** Every app's health check URL under a base URL, with the codes that count as healthy. */
export function healthChecks(spec: SiteSpec, baseUrl: string): HealthCheck[] {
  return spec.apps.map((a) => ({ url: `${baseUrl}${a.healthCheckPath}`, healthyHttpCodes: a.healthyHttpCodes }));
}
