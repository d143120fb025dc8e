import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { HIDDEN_FILE, renderSiteConfig } from '../conf/site-conf';
import { bootFiles, secretsFile } from './boot';
import { deployPlan, DEPLOY_PY } from './deploy';
import { HEALTH_PROBE_PY } from './health';
import { AWS_CLIENT_PY } from './aws-client';
import { BUNDLE, buildRecipe, groupSecrets, InPlaceRelease, ProvisionInput, RecipeOptions, recipeSteps, RELEASE_TOKEN } from './recipe';
import { RELEASE_PY } from './release';
import { renderPhaseScript, renderShellScript } from './render-shell';

/** One file of a bundle: contents and Unix mode. */
export interface BundleFile {
  readonly content: Buffer;
  readonly mode: number;
}

/** Relative path -> file, sorted by path so every rendering of a bundle is identical. */
export type Bundle = ReadonlyMap<string, BundleFile>;

export interface BundleOptions extends RecipeOptions {
  /** Also write each recipe phase as a script of its own (layered image builds). @default false */
  readonly phaseScripts?: boolean;
  /**
   * A bundle the in-place deploy program installs as a new release (Ec2Host): phase
   * scripts, the deploy program and its plan instead of one provisioning script.
   * The layout must come from inPlaceLayout.
   * @default false
   */
  readonly deployInPlace?: boolean;
}

/**
 * Everything a host needs to provision the site: the recipe script, the
 * rendered Apache config, the app code and the venvs' requirements.
 */
export function siteBundle(input: ProvisionInput, options: BundleOptions): Bundle {
  const { spec } = input;
  const files = new Map<string, BundleFile>();
  const add = (rel: string, content: string | Buffer, mode = 0o644) => files.set(rel, { content: Buffer.from(content), mode });

  const venvFiles = new Map<string, BundleFile>();
  for (const venv of spec.venvs) {
    if (venv.requirementsFile) {
      venvFiles.set(BUNDLE.requirements(venv.name), { content: fs.readFileSync(venv.requirementsFile), mode: 0o644 });
    }
    for (const pkg of venv.localPackages) {
      if (fs.statSync(pkg).isDirectory()) {
        addTree(venvFiles, pkg, BUNDLE.localPackage(venv.name, pkg));
      } else {
        venvFiles.set(BUNDLE.localPackage(venv.name, pkg), { content: fs.readFileSync(pkg), mode: 0o644 });
      }
    }
  }
  venvFiles.forEach((file, rel) => files.set(rel, file));

  const inPlace = options.deployInPlace ? inPlaceRelease(input, venvFiles) : undefined;
  const recipe = buildRecipe(input, { ...options, inPlace });
  if (inPlace) {
    const home = path.posix.dirname(input.layout.releaseLink!);
    add(BUNDLE.deployProgram, DEPLOY_PY, 0o755);
    add(BUNDLE.deployPlan, `${JSON.stringify(deployPlan(spec, recipe, {
      currentLink: input.layout.releaseLink!, releasesDir: path.posix.dirname(inPlace.releaseDir), venvsDir: `${home}/venvs`,
      venvStore: inPlace.venvStore, secretsFile: (group) => secretsFile(input.layout, group),
    }), undefined, 1)}\n`);
  } else {
    add(BUNDLE.script, renderShellScript(recipe), 0o755);
  }
  if (options.phaseScripts || inPlace) {
    for (const phase of recipe.phases) {
      add(BUNDLE.phaseScript(phase.name), renderPhaseScript(recipe, phase), 0o755);
    }
  }
  add(BUNDLE.healthProbe, HEALTH_PROBE_PY);
  // The recipe writes the only Listen (ports.conf / httpd.conf), so the config adds none.
  const conf = renderSiteConfig(spec, {
    ...input.layout,
    ...(options.logsToStdout ? { errorLog: '/proc/self/fd/2', accessLog: '/proc/self/fd/1', serverErrorLog: '/proc/self/fd/2' } : {}),
    listen: false,
    port: options.port,
  });
  add(BUNDLE.serverConf, conf['server.conf']);
  add(BUNDLE.siteConf, conf['site.conf']);
  const secrets = groupSecrets(spec);
  const cert = spec.tls?.certificate;
  if (recipeSteps(recipe).some((s) => s.kind === 'releaseOnce')) {
    add(BUNDLE.release, RELEASE_PY);
    add(BUNDLE.awsClient, AWS_CLIENT_PY);
  }
  if (cert?.source === 'ssm') {
    add(BUNDLE.awsClient, AWS_CLIENT_PY);
    add(BUNDLE.tlsSsm, `${JSON.stringify([
      { envVar: 'certificate', store: 'ssm-parameter', arn: cert.certificateParameterArn },
      { envVar: 'privateKey', store: 'ssm-parameter', arn: cert.privateKeyParameterArn },
    ], undefined, 2)}\n`);
  }
  if (secrets.length > 0) {
    add(BUNDLE.awsClient, AWS_CLIENT_PY);
    // References (ARNs) only: the values are fetched on the host.
    for (const { group, secrets: list } of secrets) {
      add(BUNDLE.secrets(group.name), `${JSON.stringify(list, undefined, 2)}\n`);
    }
  }
  for (const file of bootFiles(spec, input.layout)) {
    add(`${BUNDLE.boot}/${file.name}`, file.content);
  }
  for (const app of spec.apps) {
    // Hidden and backup files of static directories are not shipped unless asked for.
    const hiddenOk = (rel: string) => !app.staticFiles.some((f) => !f.includeHiddenFiles && isAtOrUnder(rel, f.directory) && rel !== f.directory && isHiddenPath(rel.slice(f.directory.length + 1)));
    addTree(files, app.source, BUNDLE.app(app.name), '', hiddenOk);
  }
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Where an in-place recipe builds: a release directory named by the deploy program, and
 * each venv in a directory named by a hash of what it is built from (its spec, the
 * platform's Python and its files in the bundle), so an unchanged venv is reused.
 */
function inPlaceRelease(input: ProvisionInput, venvFiles: ReadonlyMap<string, BundleFile>): InPlaceRelease {
  const { spec, platform, layout } = input;
  if (layout.releaseLink === undefined) {
    throw new Error(`site ${spec.name}: an in-place bundle needs a layout with releases (inPlaceLayout)`);
  }
  const home = path.posix.dirname(layout.releaseLink);
  const venvStore = Object.fromEntries(spec.venvs.map((venv) => {
    const digest = crypto.createHash('sha256');
    digest.update(JSON.stringify({
      python: platform.pythonBinary, version: platform.pythonVersion, requirements: venv.requirements,
      systemSitePackages: venv.systemSitePackages, withPip: venv.withPip, requireHashes: venv.requireHashes,
    }));
    for (const [rel, file] of [...venvFiles.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (rel.startsWith(`${BUNDLE.venv(venv.name)}/`)) {
        digest.update(`\0${rel}\0`).update(crypto.createHash('sha256').update(file.content).digest());
      }
    }
    return [venv.name, `${home}/venvs/${venv.name}-${digest.digest('hex').slice(0, 16)}`];
  }));
  return { releaseDir: `${home}/releases/${RELEASE_TOKEN}`, venvStore };
}

// Python bytecode caches and VCS metadata are never deployed.
const SKIP = new Set(['__pycache__', '.git', '.venv', 'node_modules']);

function addTree(files: Map<string, BundleFile>, dir: string, prefix: string, relDir = '', keep: (rel: string) => boolean = () => true): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const relPath = relDir ? `${relDir}/${entry.name}` : entry.name;
    if (SKIP.has(entry.name) || entry.name.endsWith('.pyc') || !keep(relPath)) {
      continue;
    }
    const full = path.join(dir, entry.name);
    const rel = `${prefix}/${entry.name}`;
    if (entry.isDirectory()) {
      addTree(files, full, rel, relPath, keep);
    } else if (entry.isFile()) {
      files.set(rel, { content: fs.readFileSync(full), mode: fs.statSync(full).mode & 0o111 ? 0o755 : 0o644 });
    }
  }
}

/** A path (relative to a static directory) Apache refuses to serve: a dotfile or dot-directory on the way, or a backup file. */
export function isHiddenPath(rel: string): boolean {
  const parts = rel.split('/');
  return parts.some((p) => p.startsWith('.')) || new RegExp(HIDDEN_FILE).test(parts[parts.length - 1]);
}

function isAtOrUnder(p: string, base: string): boolean {
  return base === '.' || p === base || p.startsWith(`${base}/`);
}

/** Writes a bundle under `dir`. */
export function writeBundle(bundle: Bundle, dir: string): void {
  for (const [rel, file] of bundle) {
    const target = path.join(dir, rel);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, file.content, { mode: file.mode });
    fs.chmodSync(target, file.mode);
  }
}
