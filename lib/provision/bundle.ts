import * as fs from 'fs';
import * as path from 'path';
import { renderSiteConfig } from '../conf/site-conf';
import { HEALTH_PROBE_PY } from './health';
import { BUNDLE, buildRecipe, ProvisionInput, RecipeOptions } from './recipe';
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
}

/**
 * Everything a host needs to provision the site: the recipe script, the
 * rendered Apache config, the app code and the venvs' requirements.
 */
export function siteBundle(input: ProvisionInput, options: BundleOptions): Bundle {
  const { spec } = input;
  const files = new Map<string, BundleFile>();
  const add = (rel: string, content: string | Buffer, mode = 0o644) => files.set(rel, { content: Buffer.from(content), mode });

  const recipe = buildRecipe(input, options);
  add(BUNDLE.script, renderShellScript(recipe), 0o755);
  if (options.phaseScripts) {
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
  for (const app of spec.apps) {
    addTree(files, app.source, BUNDLE.app(app.name));
  }
  for (const venv of spec.venvs) {
    if (venv.requirementsFile) {
      add(BUNDLE.requirements(venv.name), fs.readFileSync(venv.requirementsFile));
    }
    for (const pkg of venv.localPackages) {
      if (fs.statSync(pkg).isDirectory()) {
        addTree(files, pkg, BUNDLE.localPackage(venv.name, pkg));
      } else {
        add(BUNDLE.localPackage(venv.name, pkg), fs.readFileSync(pkg));
      }
    }
  }
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

// Python bytecode caches and VCS metadata are never deployed.
const SKIP = new Set(['__pycache__', '.git', '.venv', 'node_modules']);

function addTree(files: Map<string, BundleFile>, dir: string, prefix: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name) || entry.name.endsWith('.pyc')) {
      continue;
    }
    const full = path.join(dir, entry.name);
    const rel = `${prefix}/${entry.name}`;
    if (entry.isDirectory()) {
      addTree(files, full, rel);
    } else if (entry.isFile()) {
      files.set(rel, { content: fs.readFileSync(full), mode: fs.statSync(full).mode & 0o111 ? 0o755 : 0o644 });
    }
  }
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
