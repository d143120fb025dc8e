import * as path from 'path';
import { AppSpec, DaemonGroupSpec, HOST_PROCESSES_VARIABLE, needsHostCpus, PROCESSES_PER_CPU, SecretSpec, SiteLayout, SiteSpec, VenvSpec } from '../conf/site-spec';
import { releaseLayout } from '../conf/release-layout';
import { ModWsgiSource, Platform } from '../platform/platform';
import { bootCommand, bootFiles, secretsFile } from './boot';
import { HealthCheck } from './health';

/** How the recipe leaves Apache running. */
export enum StartMode {
  /** `systemctl enable --now`: VMs. */
  SYSTEMD = 'systemd',
  /** `apachectl start`, no init system: chroots and tests. */
  BACKGROUND = 'background',
  /**
   * Build only (an image): what a VM does before traffic (host facts, data
   * directory ownership, secrets, release commands) goes into the 'start' phase,
   * which the container runs at every start before it execs Apache in the foreground.
   */
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
  /**
   * Keep the daemon users and Apache's workers off the instance metadata service
   * (its credentials are the instance role's): an nftables owner-match rule. @default false
   */
  readonly blockInstanceMetadata?: boolean;
  /**
   * Run the release commands once per bundle across a fleet instead of on every host
   * (see the releaseOnce step). @default - every host runs them
   */
  readonly releaseOnce?: ReleaseOnceOptions;
  /**
   * A container's server keeps the container role's endpoint (AWS_CONTAINER_*) in its
   * environment, so the apps may use the role (ECS task role). @default false
   */
  readonly appsUseContainerRole?: boolean;
  /**
   * Build a release for an in-place deploy (Ec2Host) instead of installing over the
   * serving paths: the deploy program (DEPLOY_PY) runs the phases and switches to it.
   * @default - the recipe installs at the layout's paths
   */
  readonly inPlace?: InPlaceRelease;
  /**
   * Images only: the host runs the release commands once per deploy, before the switch,
   * in a one-off container of the new image with the 'release' phase (RELEASE_PHASE);
   * the serving containers' start phase skips them.
   * @default false - each container runs them once, at its first start
   */
  readonly releasePhase?: boolean;
}

/** The image phase a container host runs once per deploy, in a one-off container, before the switch. */
export const RELEASE_PHASE = 'release';

/** How a fleet's instances agree on which one runs the release commands of a bundle. */
export interface ReleaseOnceOptions {
  /** The bootstrap's config on the host: it names the bucket, the bundle's SHA-256 and its release marker key. */
  readonly configFile: string;
  /** A marker unchanged this long (its holder died, or an earlier attempt failed) may be taken over. */
  readonly leaseSec: number;
  /** How long an instance waits for another's release before it fails provisioning. */
  readonly waitSec: number;
}

/** Stands for the release's id in the paths of an in-place recipe; the deploy program substitutes it. */
export const RELEASE_TOKEN = '@RELEASE@';

/** Where an in-place recipe builds (the layout must come from inPlaceLayout). */
export interface InPlaceRelease {
  /** The release's directory, with RELEASE_TOKEN in place of its id. */
  readonly releaseDir: string;
  /** Venv name -> the directory it is built in, named by a hash of its inputs: reused while they stay the same. */
  readonly venvStore: Readonly<Record<string, string>>;
}

/** The instance metadata service's addresses on EC2 (IPv4 and the Nitro IPv6 endpoint). */
export const INSTANCE_METADATA_ADDRESSES = { ipv4: '169.254.169.254', ipv6: 'fd00:ec2::254' };

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

/** A build or release command, run as `user` through the boot module (argv is the whole command). */
export interface AppCommandStep {
  readonly kind: 'appCommand';
  readonly phase: 'build' | 'release';
  readonly app: string;
  readonly dir: string;
  readonly user: string;
  readonly group: string;
  readonly home: string;
  readonly argv: readonly string[];
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
  /** Root resolves a group's secrets with the host's role into a file only the group's user reads. */
  | { readonly kind: 'secrets'; readonly group: string; readonly python: string; readonly client: string; readonly spec: string; readonly file: string; readonly user: string; readonly userGroup: string }
  | AppCommandStep
  /**
   * A fleet's release commands, once per bundle: the release program creates the bundle's
   * marker object in S3 with a conditional write; the instance that wins runs the
   * commands and records done or failed, the others wait (bounded) and skip or fail.
   */
  | { readonly kind: 'releaseOnce'; readonly python: string; readonly program: string; readonly config: string; readonly leaseSec: number; readonly waitSec: number; readonly commands: readonly AppCommandStep[] }
  | ({ readonly kind: 'venv'; readonly name: string } & VenvBuild)
  | {
    readonly kind: 'apacheConfig';
    /** Files to install: bundle path -> system path. */
    readonly files: readonly { readonly from: string; readonly to: string }[];
    readonly listenFile: string;
    readonly listenFileOwned: boolean;
    readonly port: number;
    /** With TLS: the HTTPS port, listened on besides `port`. */
    readonly httpsPort?: number;
    /** Commands that enable modules, the config and the site. */
    readonly enable: readonly (readonly string[])[];
    /** Commands that take the distro's default site away; may fail. */
    readonly disable: readonly (readonly string[])[];
  }
  /** Writes `Define <variable> <processesPerCpu x nproc>` to path: daemon processes per group, read by the config at Apache start. */
  | { readonly kind: 'hostFacts'; readonly path: string; readonly variable: string; readonly processesPerCpu: number }
  /**
   * A certificate kept in SSM: root fetches the two parameters with the AWS client
   * (as the secrets step does) and writes them into root-only PEM files.
   */
  | {
    readonly kind: 'ssmCertificate'; readonly python: string; readonly client: string;
    /** The bundle's list of the two parameters (ARNs only). */
    readonly spec: string;
    readonly dir: string; readonly certificateFile: string; readonly privateKeyFile: string;
  }
  /**
   * ACME: mod_md stages a new certificate, Apache serves it only after a graceful
   * restart. A timer does that whenever one is staged; at first boot the recipe
   * waits for the first certificate (bounded) and activates it.
   */
  | { readonly kind: 'acmeActivation'; readonly mode: StartMode; readonly mdStoreDir: string; readonly domain: string; readonly waitSec: number; readonly service: string; readonly ctl: string }
  | { readonly kind: 'configTest'; readonly argv: readonly string[] }
  /**
   * nftables rules rejecting these users' packets to the metadata addresses, loaded now
   * and, with systemd, at every boot before Apache.
   */
  | {
    readonly kind: 'blockInstanceMetadata'; readonly table: string; readonly users: readonly string[]; readonly nft: string;
    readonly rulesFile: string; readonly unit?: { readonly name: string; readonly before: string };
  }
  | { readonly kind: 'start'; readonly mode: StartMode; readonly service: string; readonly ctl: string }
  /**
   * Steps run once per container: skipped when the marker file exists (the container
   * restarted), which is written once they all succeeded. The marker lives in the
   * container's own layer, so a new container (a deploy) runs them again.
   */
  | { readonly kind: 'oncePerContainer'; readonly marker: string; readonly what: string; readonly steps: readonly RecipeStep[] }
  /**
   * The script becomes the server (a container's PID 1): `exec argv` with the
   * given variables removed from the environment, so the apps never see the credentials
   * root resolved the secrets with.
   */
  | { readonly kind: 'execForeground'; readonly argv: readonly string[]; readonly unsetEnv: readonly string[] }
  /** A graceful restart: rereads the config; requests in flight to daemon processes can fail. */
  | { readonly kind: 'graceful'; readonly mode: StartMode; readonly service: string; readonly ctl: string }
  /** `link` (replaced if present) pointing at `target`. */
  | { readonly kind: 'symlink'; readonly target: string; readonly link: string }
  | { readonly kind: 'healthCheck'; readonly python: string; readonly probe: string; readonly host: string; readonly checks: readonly HealthCheck[] };

/**
 * The commands that build a venv, in order: `python -m venv`, then one pip
 * install each for the requirements file, the specifiers and the local packages,
 * then pip is taken out of the venv: nothing runs it once the venv is built (each
 * deploy builds the venv anew), and every host, image or local run is the same.
 * pip keeps no download cache (it would stay in the image layer or the host's /root).
 */
export function venvBuildCommands(build: VenvBuild): string[][] {
  const pipArgs = ['--no-input', '--disable-pip-version-check', '--no-cache-dir'];
  const pip = [`${build.dir}/bin/python`, '-m', 'pip', 'install', ...pipArgs];
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
  if (build.withPip) {
    commands.push([`${build.dir}/bin/python`, '-m', 'pip', 'uninstall', '--yes', ...pipArgs, 'pip']);
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

/**
 * A part of the recipe that a container image builds as its own layer, so a
 * change to the app code reruns only the app phase. Phases run in order; a VM
 * runs them all as one script. Where a new step goes: packages, users and
 * directories in `system`; anything read from the venv's own inputs in its
 * `venv:<name>` phase; code, config and what depends on them in `app`.
 */
export interface RecipePhase {
  /** 'system', 'venv:<venv name>', 'app' or (images only) 'start' and 'release' (RELEASE_PHASE). */
  readonly name: string;
  /** Bundle paths (files or directories) the phase reads; a Dockerfile copies only these before running it. */
  readonly inputs: readonly string[];
  /**
   * The one directory the phase produces when it depends on nothing but `system`:
   * an image may build it in a stage of its own and copy just this directory.
   * @default - the phase changes the system in place
   */
  readonly output?: string;
  /**
   * Run when a container starts (as root, as its command), not when the image is
   * built: it ends by exec'ing the server. Its inputs are copied into the image.
   * @default false
   */
  readonly atContainerStart?: boolean;
  readonly steps: readonly RecipeStep[];
}

export interface Recipe {
  readonly siteName: string;
  readonly platformId: string;
  readonly phases: readonly RecipePhase[];
}

/** Every step that builds the site (a VM's whole provisioning, an image's build), in the order a single script runs them. */
export function recipeSteps(recipe: Recipe): RecipeStep[] {
  return recipe.phases.filter((p) => !p.atContainerStart).flatMap((p) => p.steps);
}

/**
 * Variables that carry AWS credentials (static keys, a shared credentials file,
 * the ECS task role's endpoint): root uses them to resolve secrets at container
 * start; the server is started without them.
 */
export const AWS_CREDENTIAL_ENV: readonly string[] = [
  'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_PROFILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_AUTHORIZATION_TOKEN',
];

/** Paths inside the bundle, relative to its root. */
export const BUNDLE = {
  script: 'provision.sh',
  healthProbe: 'health.py',
  boot: 'boot',
  awsClient: 'aws_client.py',
  /** A fleet's release commands, once per bundle (imports the AWS client beside it). */
  release: 'release.py',
  secrets: (group: string) => `secrets/${group}.json`,
  /** The SSM parameters of a site's TLS certificate, in the AWS client's secrets format. */
  tlsSsm: 'tls/ssm.json',
  serverConf: 'apache/server.conf',
  siteConf: 'apache/site.conf',
  app: (name: string) => `apps/${name}`,
  /** The in-place deploy program (DEPLOY_PY) and its plan. */
  deployProgram: 'deploy.py',
  deployPlan: 'deploy.json',
  /** One phase's script, run by a layered image build (and by the in-place deploy program). */
  phaseScript: (phase: string) => `phases/${phase.replace(/:/g, '-')}.sh`,
  venv: (venv: string) => `venvs/${venv}`,
  requirements: (venv: string) => `venvs/${venv}/requirements.txt`,
  localPackage: (venv: string, file: string) => `venvs/${venv}/packages/${path.basename(file)}`,
};

/** Modules the rendered config uses beyond those every distro enables. */
const MODULES = ['wsgi', 'headers', 'reqtimeout', 'alias', 'mime'];

/** How long first provisioning waits for the first ACME certificate. */
export const ACME_FIRST_CERTIFICATE_WAIT_SEC = 300;

/**
 * The one provisioning recipe of a site, shared by every host type so a
 * container and a VM are built the same way.
 */
export function buildRecipe(input: ProvisionInput, options: RecipeOptions): Recipe {
  const { spec, platform, layout } = input;
  const apache = platform.apache;
  const inPlace = options.inPlace;
  // Where code, boot files and venv links are installed: a new release, or the serving paths.
  const built = inPlace ? releaseLayout(layout, inPlace.releaseDir) : layout;
  const venvDir = (name: string) => inPlace?.venvStore[name] ?? layout.venvDirs[name];
  const inBundle = (rel: string) => path.posix.join(options.bundleDir, rel);

  const os = platform.os;
  const tls = spec.tls ? { spec: spec.tls, facts: tlsFacts(platform) } : undefined;
  const system: RecipeStep[] = [{
    kind: 'packages', refresh: os.packageManager.refresh, install: os.packageManager.install, clean: os.packageManager.clean,
    packages: [...platform.systemPackages, ...(tls?.facts.packages ?? []), ...(options.blockInstanceMetadata ? [os.nftables.package] : [])],
  }];
  if (platform.modWsgiSource === ModWsgiSource.PIP) {
    system.push({ kind: 'pipModWsgi', python: platform.pythonBinary, requirement: platform.modWsgiPackage, dir: `${layout.home}/mod_wsgi`, loadConf: apache.modWsgiLoadConf });
  }
  const checkModWsgi: RecipeStep = platform.modWsgiSource === ModWsgiSource.PIP
    ? { kind: 'checkModWsgiPython', loadConf: apache.modWsgiLoadConf, expected: platform.pythonVersion }
    : { kind: 'checkModWsgiPython', modWsgiPath: `${apache.modulesDir}/mod_wsgi.so`, expected: platform.pythonVersion };
  system.push(checkModWsgi);
  for (const group of spec.groups) {
    if (group.user) {
      system.push({ kind: 'user', name: group.user, group: group.group ?? group.user, home: layout.home, shell: os.noLoginShell });
    }
  }
  if (options.blockInstanceMetadata) {
    const users = [...new Set([...spec.groups.flatMap((g) => (g.user ? [g.user] : [])), apache.user])];
    system.push(
      {
        kind: 'blockInstanceMetadata', table: `cdktf_apache_wsgi_${spec.name.replace(/-/g, '_')}_imds`, users, nft: os.nftables.binary,
        rulesFile: `/etc/cdktf-apache-wsgi/${spec.name}-imds.nft`,
        unit: options.startMode === StartMode.SYSTEMD ? { name: `cdktf-apache-wsgi-${spec.name}-imds.service`, before: `${apache.service}.service` } : undefined,
      },
    );
  }
  system.push(
    { kind: 'directory', path: inPlace ? path.posix.dirname(inPlace.releaseDir) : `${layout.home}/apps` },
    { kind: 'directory', path: `${layout.home}/venvs` },
    { kind: 'directory', path: layout.documentRoot },
    { kind: 'directory', path: layout.dataDir },
  );
  for (const group of spec.groups) {
    if (group.dataDirectories.length > 0) {
      system.push({ kind: 'directory', path: `${layout.dataDir}/${group.name}` });
    }
    for (const dir of group.dataDirectories) {
      system.push({ kind: 'dataDirectory', path: `${layout.dataDir}/${group.name}/${dir.name}`, user: group.user ?? apache.user, group: group.group ?? group.user ?? apache.user });
    }
  }
  const phases: RecipePhase[] = [{ name: 'system', inputs: [], steps: system }];

  // Each venv reads only its own inputs, so its layer is rebuilt only when they change.
  for (const venv of spec.venvs) {
    const ownFiles = venv.requirementsFile !== undefined || venv.localPackages.length > 0;
    phases.push({
      name: `venv:${venv.name}`,
      inputs: ownFiles ? [BUNDLE.venv(venv.name)] : [],
      output: venvDir(venv.name),
      steps: [
        // Sets MOD_WSGI_PYTHON, which the venv's version check compares against, in this phase's own shell.
        checkModWsgi,
        {
          kind: 'venv', name: venv.name,
          ...venvBuild(venv, platform.pythonBinary, venvDir(venv.name), {
            requirementsFile: venv.requirementsFile ? inBundle(BUNDLE.requirements(venv.name)) : undefined,
            localPackages: venv.localPackages.map((p) => inBundle(BUNDLE.localPackage(venv.name, p))),
          }),
        },
      ],
    });
  }
  const app: RecipeStep[] = [];
  if (inPlace) {
    app.push(
      { kind: 'directory', path: inPlace.releaseDir },
      { kind: 'directory', path: `${inPlace.releaseDir}/apps` },
      { kind: 'directory', path: `${inPlace.releaseDir}/venvs` },
      ...spec.venvs.map((v): RecipeStep => ({ kind: 'symlink', target: venvDir(v.name), link: built.venvDirs[v.name] })),
    );
  }
  app.push(...spec.apps.map((a): RecipeStep => ({ kind: 'installTree', from: inBundle(BUNDLE.app(a.name)), to: built.appDirs[a.name] })));
  const boot = bootFiles(spec, layout);
  app.push({ kind: 'bootFiles', from: inBundle(BUNDLE.boot), to: built.bootDir, files: boot.map((f) => ({ name: f.name, group: f.readers?.group })) });
  const builtInput = { ...input, layout: built };
  // Build commands write into the new code before it is locked down.
  app.push(...appCommands(builtInput, 'build'));
  for (const a of spec.apps) {
    const group = groupOf(spec, a);
    app.push({ kind: 'protectTree', path: built.appDirs[a.name], group: group?.group ?? group?.user, publicDirs: a.staticFiles.map((f) => f.directory) });
  }
  if (needsHostCpus(spec) && layout.hostFactsFile !== undefined) {
    app.push({ kind: 'hostFacts', path: layout.hostFactsFile, variable: HOST_PROCESSES_VARIABLE, processesPerCpu: PROCESSES_PER_CPU });
  }
  const cert = tls?.spec.certificate;
  if (cert?.source === 'ssm') {
    app.push({
      kind: 'ssmCertificate', python: platform.pythonBinary, client: inBundle(BUNDLE.awsClient), spec: inBundle(BUNDLE.tlsSsm),
      dir: path.posix.dirname(cert.certificateFile), certificateFile: cert.certificateFile, privateKeyFile: cert.privateKeyFile,
    });
  }
  const serverConfName = `wsgi-${spec.name}-server`;
  const siteConfName = `wsgi-${spec.name}-site`;
  app.push(
    {
      kind: 'apacheConfig',
      files: [
        { from: inBundle(BUNDLE.serverConf), to: `${apache.serverConfDir}/${serverConfName}.conf` },
        { from: inBundle(BUNDLE.siteConf), to: `${apache.siteConfDir}/${siteConfName}.conf` },
      ],
      listenFile: apache.listenFile,
      listenFileOwned: apache.listenFileOwned,
      port: options.port,
      httpsPort: tls?.spec.httpsPort,
      enable: [
        ...(apache.enableModules ? [[...apache.enableModules, ...MODULES, ...(tls?.facts.modules ?? [])]] : []),
        ...(apache.enableConf ? [[...apache.enableConf, serverConfName]] : []),
        ...(apache.enableSite ? [[...apache.enableSite, siteConfName]] : []),
      ],
      disable: apache.defaultSiteOff,
    },
    { kind: 'configTest', argv: [apache.ctl, '-t'] },
  );
  const afterSwitch: RecipePhase[] = [];
  // Secrets are fetched where the site runs, never shipped; release commands (migrations)
  // run with them before the new code takes traffic: on a VM now; for an image, in its start
  // phase (once per container) or its release phase (once per deploy, run by the host).
  const release = appCommands(builtInput, 'release');
  if (options.startMode !== StartMode.NONE) {
    app.push(...secretSteps(input, options), ...releaseSteps(input, release, options));
    // In place, the deploy program switches to the release, then starts or reloads (phases start, reload, health).
    const start: RecipeStep[] = [{ kind: 'start', mode: options.startMode, service: apache.service, ctl: apache.ctl }];
    if (cert?.source === 'acme') {
      start.push({
        kind: 'acmeActivation', mode: options.startMode, mdStoreDir: tls!.facts.mdStoreDir, domain: cert.domains[0],
        waitSec: ACME_FIRST_CERTIFICATE_WAIT_SEC, service: apache.service, ctl: apache.ctl,
      });
    }
    const health: RecipeStep = {
      kind: 'healthCheck', python: platform.pythonBinary, probe: inBundle(BUNDLE.healthProbe), host: spec.serverName,
      // With TLS, plain HTTP only redirects: the apps are checked over HTTPS.
      checks: healthChecks(spec, tls ? `https://127.0.0.1:${tls.spec.httpsPort}` : `http://127.0.0.1:${options.port}`),
    };
    if (inPlace) {
      afterSwitch.push(
        { name: 'start', inputs: [], steps: start },
        { name: 'reload', inputs: [], steps: [{ kind: 'graceful', mode: options.startMode, service: apache.service, ctl: apache.ctl }] },
        { name: 'health', inputs: [], steps: [health] },
      );
    } else {
      app.push(...start, health);
    }
  }
  // Secret references (ARNs) and their client are read where the secrets are resolved.
  const secretInputs = groupSecrets(spec).length > 0 ? [BUNDLE.awsClient, ...groupSecrets(spec).map(({ group }) => BUNDLE.secrets(group.name))] : [];
  if (app.some((s) => s.kind === 'releaseOnce')) {
    secretInputs.push(...[BUNDLE.awsClient, BUNDLE.release].filter((f) => !secretInputs.includes(f)));
  }
  phases.push({
    name: 'app',
    inputs: ['apache', BUNDLE.healthProbe, ...(options.startMode !== StartMode.NONE ? secretInputs : []), ...(boot.length > 0 ? [BUNDLE.boot] : []), ...spec.apps.map((a) => BUNDLE.app(a.name))],
    steps: app,
  });
  phases.push(...afterSwitch);
  if (options.startMode === StartMode.NONE) {
    // An image runs on machines other than the one that built it, with volumes and
    // credentials of its own: the host facts, the data directories' owner (a new volume)
    // and the secrets are done at every container start, the release commands once per container.
    const start: RecipeStep[] = [];
    if (needsHostCpus(spec) && layout.hostFactsFile !== undefined) {
      start.push({ kind: 'hostFacts', path: layout.hostFactsFile, variable: HOST_PROCESSES_VARIABLE, processesPerCpu: PROCESSES_PER_CPU });
    }
    // Secrets at every start (credentials and values may have changed); release commands
    // once per container, so a restart (restart policy, engine reboot) does not rerun them.
    start.push(...system.filter((s) => s.kind === 'dataDirectory'), ...secretSteps(input, options));
    const releasePhase = options.releasePhase && release.length > 0
      // What the start does before traffic, then the release commands, and exit: no server.
      ? { name: RELEASE_PHASE, inputs: secretInputs, atContainerStart: true, steps: [...start, ...release] }
      : undefined;
    if (release.length > 0 && !releasePhase) {
      start.push({ kind: 'oncePerContainer', marker: `${layout.home}/release-done`, what: 'release commands', steps: release });
    }
    start.push({
      kind: 'execForeground', argv: apache.foregroundCommand,
      unsetEnv: AWS_CREDENTIAL_ENV.filter((v) => !(options.appsUseContainerRole && v.startsWith('AWS_CONTAINER_'))),
    });
    phases.push({ name: 'start', inputs: secretInputs, atContainerStart: true, steps: start }, ...(releasePhase ? [releasePhase] : []));
  }
  return { siteName: spec.name, platformId: platform.id, phases };
}

function tlsFacts(platform: Platform) {
  if (!platform.apache.tls) {
    throw new Error(`${platform.id}: the platform catalog has no TLS facts for this platform`);
  }
  return platform.apache.tls;
}

/** The secrets each daemon group's apps use, as the bundle's secrets/<group>.json lists them. */
export function groupSecrets(spec: SiteSpec): { group: DaemonGroupSpec; secrets: SecretSpec[] }[] {
  return spec.groups.map((group) => {
    const byVar = new Map<string, SecretSpec>();
    spec.apps.filter((a) => a.processGroup === group.name).forEach((a) => a.secrets.forEach((s) => byVar.set(s.envVar, s)));
    return { group, secrets: [...byVar.values()] };
  }).filter((g) => g.secrets.length > 0);
}

function secretSteps(input: ProvisionInput, options: RecipeOptions): RecipeStep[] {
  const { spec, layout, platform } = input;
  return groupSecrets(spec).map(({ group }): RecipeStep => {
    const user = group.user ?? platform.apache.user;
    return {
      kind: 'secrets', group: group.name, python: platform.pythonBinary, client: path.posix.join(options.bundleDir, BUNDLE.awsClient),
      spec: path.posix.join(options.bundleDir, BUNDLE.secrets(group.name)), file: secretsFile(layout, group.name), user, userGroup: group.group ?? user,
    };
  });
}

function groupOf(spec: SiteSpec, app: AppSpec): DaemonGroupSpec | undefined {
  return spec.groups.find((g) => g.name === app.processGroup);
}

/** The release commands: on every host, or once per bundle across a fleet. */
function releaseSteps(input: ProvisionInput, commands: AppCommandStep[], options: RecipeOptions): RecipeStep[] {
  if (!options.releaseOnce || commands.length === 0) {
    return commands;
  }
  const { configFile, leaseSec, waitSec } = options.releaseOnce;
  return [{
    kind: 'releaseOnce', python: input.platform.pythonBinary, program: path.posix.join(options.bundleDir, BUNDLE.release),
    config: configFile, leaseSec, waitSec, commands,
  }];
}

/** Each app's build or release commands as steps, run as its daemon group's user. */
export function appCommands(input: ProvisionInput, phase: 'build' | 'release'): AppCommandStep[] {
  const { spec, layout, platform } = input;
  return spec.apps.flatMap((app) => {
    const group = groupOf(spec, app);
    const commands = phase === 'build' ? app.buildCommands : app.releaseCommands;
    if (!group || commands.length === 0) {
      return [];
    }
    const user = group.user ?? platform.apache.user;
    const python = `${layout.venvDirs[group.venvName]}/bin/python`;
    return commands.map((argv): AppCommandStep => ({
      kind: 'appCommand', phase, app: app.name, dir: layout.appDirs[app.name], user, group: group.group ?? user, home: layout.home,
      argv: bootCommand(python, layout, app.name, argv, phase === 'release'),
    }));
  });
}

/** Every app's health check URL under a base URL, with the codes that count as healthy. */
export function healthChecks(spec: SiteSpec, baseUrl: string): HealthCheck[] {
  return spec.apps.map((a) => ({ url: `${baseUrl}${a.healthCheckPath}`, healthyHttpCodes: a.healthyHttpCodes }));
}
