import * as fs from 'fs';
import * as path from 'path';
import * as fc from 'fast-check';
import { existingGroups, existingUsers, makeScratchDir, scratchLayout, standaloneHost, standaloneText, syntaxCheckAll, warnings } from '../support/apache-check';
import { buildSite, BuiltSite, SiteDef, siteDef } from './site-arbitraries';
import { ValidationError } from '../../lib';

export interface FuzzCase {
  readonly index: number;
  readonly def: SiteDef;
}

export interface FuzzReport {
  readonly seed: number;
  readonly tried: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Accepted specs whose standalone config went through `apache2 -t`. */
  readonly syntaxChecked: number;
  /** Of those, how many rendered daemon user=/group= (all users existed here). */
  readonly withDaemonUsers: number;
  readonly invalidConfigs: { readonly index: number; readonly output: string; readonly def: SiteDef }[];
  /** Accepted configs for which `apache2 -t` printed an AHnnnnn warning. */
  readonly configWarnings: { readonly index: number; readonly lines: string[]; readonly def: SiteDef }[];
  readonly badRejections: { readonly index: number; readonly problem: string; readonly def: SiteDef }[];
  /** Rejections by the prop named in the message, to show the generator reaches every check. */
  readonly rejectedProps: Record<string, number>;
}

const PROP_ERROR = /^(\S+) ([\s\S]*) is invalid; expected /;

/** Splits a propError message into construct path, prop and value text (paths may hold any character but '/'-free ids). */
function parsePropError(message: string, paths: ReadonlySet<string>): { constructPath: string; prop: string; valueText: string } | undefined {
  const constructPath = [...paths].filter((p) => message.startsWith(`${p}: `)).sort((a, b) => b.length - a.length)[0];
  const m = constructPath === undefined ? null : PROP_ERROR.exec(message.slice(constructPath.length + 2));
  return m ? { constructPath: constructPath!, prop: m[1], valueText: m[2] } : undefined;
}

/**
 * Samples `runs` site definitions with a fixed seed, builds each through the
 * public constructs and sorts it:
 * - accepted (constructs, validations and rendering all succeed): its
 *   standalone config goes to `apache2 -t` (when `syntaxCheck`);
 * - rejected: the error must be a ValidationError (or cdktf's synth-time Error) naming a construct path of the
 *   tree and, for a prop the definition gave, the value received.
 */
export async function runSiteFuzz(options: { seed: number; runs: number; syntaxCheck: boolean }): Promise<FuzzReport> {
  const defs = fc.sample(siteDef, { seed: options.seed, numRuns: options.runs });
  const root = makeScratchDir('fuzz-');
  const users = existingUsers();
  const groups = existingGroups();
  const files: string[] = [];
  const fileCase: number[] = [];
  let accepted = 0;
  let rejected = 0;
  let withDaemonUsers = 0;
  const badRejections: FuzzReport['badRejections'][number][] = [];
  const rejectedProps: Record<string, number> = {};
  try {
    defs.forEach((def, index) => {
      const dir = path.join(root, `case${index}`);
      fs.mkdirSync(dir, { recursive: true });
      let built: BuiltSite | undefined;
      let text: string;
      try {
        built = buildSite(def, dir, (b) => { built = b; });
        built.stack.runAllValidations();
        const site = built.site!;
        site.renderConfigFiles();
        const spec = site.toSpec();
        const daemonUsers = spec.groups.every((g) => users.has(g.user!) && groups.has(g.group!)
          && g.options.filter((o) => o.account).every((o) => String(o.value).split(',').every((x) => groups.has(x))));
        if (daemonUsers && spec.groups.length > 0) {
          withDaemonUsers++;
        }
        text = standaloneText(spec, scratchLayout(site.deployedLayout(), dir, daemonUsers), standaloneHost(dir));
      } catch (e) {
        rejected++;
        const problem = rejectionProblem(e, def, built);
        if (problem) {
          badRejections.push({ index, problem, def });
        }
        const parsed = e instanceof Error && built ? parsePropError(e.message, treePaths(built)) : undefined;
        const key = parsed ? parsed.prop.replace(/\[\d+\]/g, '[]') : 'other';
        rejectedProps[key] = (rejectedProps[key] ?? 0) + 1;
        return;
      }
      accepted++;
      const file = path.join(dir, 'httpd.conf');
      fs.writeFileSync(file, text);
      files.push(file);
      fileCase.push(index);
    });
    const results = options.syntaxCheck ? await syntaxCheckAll(files) : [];
    const invalidConfigs = results.flatMap((r, i) => (r.ok ? [] : [{ index: fileCase[i], output: r.output.trim(), def: defs[fileCase[i]] }]));
    const configWarnings = results.flatMap((r, i) => {
      const lines = warnings(r.output);
      return r.ok && lines.length > 0 ? [{ index: fileCase[i], lines, def: defs[fileCase[i]] }] : [];
    });
    return {
      seed: options.seed, tried: defs.length, accepted, rejected, syntaxChecked: results.length, withDaemonUsers,
      invalidConfigs, configWarnings, badRejections, rejectedProps,
    };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** Why a rejection is not a clear error, or undefined when it is. */
export function rejectionProblem(e: unknown, def: SiteDef, built: BuiltSite | undefined): string | undefined {
  if (!(e instanceof Error)) {
    return `threw a non-Error: ${String(e)}`;
  }
  // Construct-time rejections are the library's ValidationError; synth-time ones come from cdktf as plain Errors.
  if (Object.getPrototypeOf(e) !== Error.prototype && !(e instanceof ValidationError)) {
    return `threw ${e.constructor.name}, not a ValidationError: ${e.message}`;
  }
  const paths = built ? treePaths(built) : new Set<string>();
  const parsed = parsePropError(e.message, paths);
  if (!parsed) {
    // Synth-time validation: cdktf lists "[path] path: message" lines.
    const named = /^Validation failed/.test(e.message) && [...paths].some((p) => e.message.includes(`[${p}] ${p}: `));
    return named ? undefined : `message names no construct path of the tree: ${e.message}`;
  }
  const { constructPath, prop, valueText } = parsed;
  const frame = (e.stack ?? '').split('\n').find((l) => /^\s+at /.test(l)) ?? '';
  if (frame.includes('node_modules')) {
    return `thrown from inside a dependency (${frame.trim()}): ${e.message}`;
  }
  const given = givenValue(def, built, constructPath, prop);
  // Each token object prints differently: only literal values are compared.
  if (given.found && !isTokenMarker(given.value) && ['string', 'number', 'boolean', 'undefined'].includes(typeof given.value) && valueText !== describe(given.value)) {
    return `message shows value ${valueText}, but ${prop} was ${describe(given.value)}: ${e.message}`;
  }
  return undefined;
}

function treePaths(built: BuiltSite): Set<string> {
  return new Set(built.app.node.findAll().map((c) => c.node.path));
}

function isTokenMarker(value: unknown): boolean {
  return value !== null && typeof value === 'object' && 'token' in (value as object);
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** The value the definition gave for `prop` of the construct at `constructPath`, if it gave one. */
function givenValue(def: SiteDef, built: BuiltSite | undefined, constructPath: string, prop: string): { found: boolean; value?: unknown } {
  if (!built) {
    return { found: false };
  }
  const id = constructPath.split('/').pop()!;
  let props: unknown;
  if (built.site && constructPath === built.site.node.path) {
    props = def.site;
  } else {
    const m = /(Env|Group|App)(\d+)$/.exec(id);
    if (!m) {
      return { found: false };
    }
    const i = Number(m[2]);
    props = m[1] === 'Env' ? def.venvs[i]?.props : m[1] === 'Group' ? def.groups[i]?.props : def.apps[i]?.props;
  }
  let value: unknown = props;
  for (const part of prop.split(/\.|(?=\[)/)) {
    const idx = /^\[(\d+)\]$/.exec(part);
    const key = idx ? Number(idx[1]) : part;
    if (value === null || typeof value !== 'object' || !(key in (value as object))) {
      return { found: false };
    }
    value = (value as any)[key];
  }
  return { found: true, value };
}

/** One line per count, for the test log and the README. */
export function summary(r: FuzzReport): string {
  return [
    `site fuzz: seed=${r.seed} tried=${r.tried} accepted=${r.accepted} rejected=${r.rejected}`,
    `  apache2 -t: checked=${r.syntaxChecked} (with daemon user=/group=: ${r.withDaemonUsers}) invalid=${r.invalidConfigs.length} warnings=${r.configWarnings.length}`,
    `  rejections without a clear error: ${r.badRejections.length}`,
    `  rejected by prop: ${Object.entries(r.rejectedProps).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}=${v}`).join(' ')}`,
  ].join('\n');
}
