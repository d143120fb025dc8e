import * as fs from 'fs';
import * as path from 'path';
import { App, Lazy, TerraformStack } from 'cdktf';
import * as fc from 'fast-check';
import { ApacheSite, ApplicationGroup, DaemonGroup, LogLevel, Platform, VirtualEnv, WsgiApp } from '../../lib';
import { DAEMON_OPTIONS, DaemonOptionSpec } from '../../lib/platform/daemon-options';

/**
 * A site definition as plain, JSON-printable data: what the fuzz tests
 * generate, print on failure and build through the public constructs.
 * A value `{ token: 'string' | 'number' }` stands for an unresolved
 * Terraform token of that type.
 */
export interface SiteDef {
  readonly platform: number;
  readonly siteId: string;
  readonly site: Record<string, unknown>;
  readonly venvs: readonly { readonly id: string; readonly props: Record<string, unknown> }[];
  readonly groups: readonly { readonly id: string; readonly venv: number; readonly props: Record<string, unknown> }[];
  readonly apps: readonly AppDef[];
}

export interface AppDef {
  readonly id: string;
  /** Index into groups; -1 = no daemon group (embedded mode). */
  readonly group: number;
  /** 'global' | 'resource' | a name for ApplicationGroup.named */
  readonly applicationGroup: string;
  /** Files created in the app's source directory before the construct is built. */
  readonly createScript: boolean;
  readonly createStaticDirs: boolean;
  readonly props: Record<string, unknown>;
}

// Pieces that break naive config writers: quotes, escapes, line breaks, NUL,
// section brackets, Apache's ${VAR} and mod_wsgi's %{VAR} expansions, comment
// starts, whitespace and non-ASCII.
const HOSTILE_PIECES = [
  '"', '\\', '\n', '\r', '\t', '\0', '\u0001', '\u007f', '<', '>', '${', '${X}', '%{', '%{GROUP}', '%{ENV:HOME}',
  ' ', "'", '#', '$', '{', '}', 'é', 'ß', '日本', '😀', '\u2028', '\u00a0', '/', '..', '=', ',', '*', '~', ';', '&',
  '@', ':', '%', '\\"', '"\\', '>"', '\\\\',
];

export const hostileString: fc.Arbitrary<string> = fc
  .array(fc.oneof(
    { arbitrary: fc.constantFrom(...HOSTILE_PIECES), weight: 3 },
    { arbitrary: fc.string({ maxLength: 4 }), weight: 2 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 3 }), weight: 1 },
  ), { maxLength: 6 })
  .map((parts) => parts.join(''));

/** Printable strings with characters the renderer must quote or escape, but may accept. */
const quotableString: fc.Arbitrary<string> = quotable(true);
/** The same for file names: no backslash (the library reads it as a Windows separator). */
const quotableName: fc.Arbitrary<string> = quotable(false);

function quotable(backslash: boolean): fc.Arbitrary<string> {
  return fc.array(fc.oneof(
    fc.constantFrom(...(backslash ? ['\\', '\\"', '"\\'] : []), '"', '%{', '%{GROUP}', ' ', "'", '#', '$', 'é', '日本', '😀', '=', ','),
    fc.stringMatching(/^[A-Za-z0-9_.-]{1,6}$/),
  ), { minLength: 1, maxLength: 5 }).map((parts) => parts.join(''));
}

const token = fc.constantFrom({ token: 'string' }, { token: 'number' });
const wrongType = fc.constantFrom<unknown>(undefined, null, 42, '42', true, {}, []);
const badNumber = fc.constantFrom<unknown>(0, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 31, Number.MAX_SAFE_INTEGER + 2, -0);

/** Mostly `good`, sometimes `bad`: most generated sites are valid, every field gets hostile input. */
function mostly<T>(good: fc.Arbitrary<T>, ...bad: fc.Arbitrary<unknown>[]): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: good, weight: 80 }, { arbitrary: fc.oneof(...bad), weight: 1 });
}

/** An optional prop: left out half the time. */
function optional(arb: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.option(arb, { nil: undefined, freq: 2 });
}

const int = (min: number, max: number) => mostly(fc.integer({ min, max }), badNumber, token, wrongType);

const name = mostly(fc.stringMatching(/^[a-z][a-z0-9-]{0,39}$/), hostileString, fc.stringMatching(/^[A-Za-z0-9_-]{0,45}$/), token, wrongType);
const constructId = fc.oneof(
  { arbitrary: fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,15}$/), weight: 20 },
  // constructs itself rejects an empty id: keep ids non-empty, the hostile part is what nameFromId sees.
  { arbitrary: hostileString.map((s) => `X${s.replace(/\//g, '')}`), weight: 1 },
);

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const plainHostname = fc.oneof(fc.domain(), fc.array(label, { minLength: 1, maxLength: 3 }).map((l) => l.join('.')));
const hostname = mostly(
  plainHostname,
  hostileString, fc.constantFrom('localhost:80', 'a..b', '-a.com', 'a_b.com', 'example.com.', '*', '*.*.com'), token, wrongType,
);
const email = mostly(fc.emailAddress(), hostileString, fc.constantFrom('a@b${x}', 'a\u0001@b', 'a@b\u0000', '@', 'a@'), token);

const segment = fc.stringMatching(/^[A-Za-z0-9._~!$&'()*+,;=:@%-]{1,10}$/);
const urlPath = mostly(
  fc.array(segment, { maxLength: 3 }).map((s) => `/${s.join('/')}`),
  hostileString, fc.constantFrom('', 'api', '/api/', '//', '/a//b', '/a b', '/a"b', '/${x}', '/a<b'), token, wrongType,
);

const ipv4Cidr = fc.tuple(fc.ipV4(), fc.option(fc.integer({ min: 1, max: 32 }), { nil: undefined })).map(([ip, m]) => (m === undefined ? ip : `${ip}/${m}`));
const ipv6Cidr = fc.tuple(fc.ipV6().filter((ip) => !ip.includes('.')), fc.option(fc.integer({ min: 1, max: 128 }), { nil: undefined })).map(([ip, m]) => (m === undefined ? ip : `${ip}/${m}`));
const proxy = mostly(
  fc.oneof(ipv4Cidr, ipv6Cidr),
  fc.ipV6(), fc.stringMatching(/^[0-9a-f:.]{1,20}(\/\d{1,3})?$/), hostileString,
  fc.constantFrom('0.0.0.0/0', '::/0', '*', 'all', '999.1.1.1', '1.2.3.4/33', '10.0.0.0/0', ':::', '1.2.3', 'fe80::1/129', '1.2.3.4/8/8'),
);
const headerName = mostly(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/), hostileString);

const siteProps = fc.record({
  serverName: hostname,
  serverAliases: optional(fc.array(mostly(fc.oneof(plainHostname, plainHostname.map((d) => `*.${d}`)), hostname), { maxLength: 3 })),
  serverAdmin: optional(email),
  siteName: optional(name),
  port: optional(int(1, 65_535)),
  restrictEmbedded: optional(fc.boolean()),
  timeoutSec: optional(int(1, 86_400)),
  keepAliveTimeoutSec: optional(int(1, 3_600)),
  limitRequestBodyBytes: optional(int(0, 2_147_483_647)),
  requestReadTimeout: optional(fc.tuple(fc.record({
    headerSec: optional(int(1, 29)),
    bodySec: optional(int(1, 3_600)),
    minRateBytesPerSec: optional(int(1, 1_000_000_000)),
  }), optional(mostly(fc.integer({ min: 0, max: 60 }), fc.integer({ min: -60, max: -1 }), token, wrongType))).map(([r, delta]) => (
    // headerMaxSec is headerSec plus a delta: equal and smaller ones are generated too.
    delta === undefined ? r : { ...r, headerMaxSec: typeof delta === 'number' ? (typeof r.headerSec === 'number' ? r.headerSec : 15) + delta : delta }))),
  maxRequestWorkers: optional(int(1, 20_000)),
  logLevel: optional(fc.constantFrom('EMERG', 'ALERT', 'CRIT', 'ERROR', 'WARN', 'NOTICE', 'INFO', 'DEBUG')),
  trustedProxies: optional(fc.array(proxy, { maxLength: 3 })),
  trustedProxyHeaders: optional(fc.array(headerName, { maxLength: 3 })),
  securityHeaders: optional(fc.boolean()),
}, { requiredKeys: ['serverName'] });

const venvProps = fc.record({
  venvName: optional(name),
  // 'platform' is replaced by the site platform's Python when the site is built.
  pythonVersion: optional(mostly(fc.constant('platform'), fc.constantFrom('3.9', '3.10', '3.11', '3.12', '3.13', '3', '3.11.2', 'python3', ''), hostileString)),
}, { requiredKeys: [] });

// Users: some exist on a Debian test machine (so `apache2 -t` can check user=), some do not, some are forbidden.
const user = mostly(
  fc.oneof(fc.constantFrom('www-data', 'nobody', 'daemon'), fc.stringMatching(/^[a-z_][a-z0-9_-]{0,31}$/)),
  fc.constantFrom('root', 'Root', '0', 'a b', 'x'.repeat(33)), hostileString,
);
const locale = mostly(fc.constantFrom('C.UTF-8', 'en_US.UTF-8', 'de_DE.utf8', 'C', 'sr_RS@latin'), hostileString);

// Sizes in bytes start in the tens of MiB: near the range edges, not below every minimum.
const intOption = (spec: DaemonOptionSpec) => {
  const [min, max] = [spec.min!, spec.max!];
  return mostly(fc.integer({ min, max: Math.min(max, min + 100_000) }), fc.constantFrom(0, min - 1, max, max + 1), badNumber, token, wrongType);
};
// Groups that exist on a Debian test machine (so `apache2 -t` can check them), unknown and privileged ones.
const groupName = mostly(
  fc.oneof(fc.constantFrom('www-data', 'nogroup', 'users'), fc.stringMatching(/^[a-z_][a-z0-9_-]{0,31}$/)),
  fc.constantFrom('staff', 'shadow', 'docker', 'adm', 'Root', '0', 'a b', 'a,b', 'x'.repeat(33)), hostileString, token,
);
const optionValue = (spec: DaemonOptionSpec): fc.Arbitrary<unknown> => {
  switch (spec.kind) {
    case 'integer': return intOption(spec);
    case 'decimal': return mostly(fc.double({ min: spec.min, max: spec.max, noNaN: true }), badNumber, token, wrongType);
    case 'bool': return mostly(fc.boolean(), wrongType, token);
    case 'string': return mostly(fc.constantFrom('0022', '0027', '077', '0007', '0000', '022'), fc.constantFrom('0o22', '9', '00022', '-1', ''), hostileString, token, wrongType);
    case 'list': return mostly(fc.array(groupName, { maxLength: 3 }), wrongType, token);
    // Owned or refused: given only by JavaScript callers that bypass the types, always rejected.
    default: return mostly(fc.constantFrom('/tmp', 'x'), hostileString);
  }
};
// Options newer than every catalogued mod_wsgi (6.0+), owned and refused ones are always rejected: give them rarely.
const daemonOptions = fc.record(
  Object.fromEntries(Object.entries(DAEMON_OPTIONS as Record<string, DaemonOptionSpec>)
    // Owned options with props of their own (user, threads...) are generated with groupProps.
    .filter(([, spec]) => !spec.ownProp)
    .map(([key, spec]) => [key,
      spec.since >= '6' || spec.kind === 'owned' || spec.kind === 'refused'
        ? fc.oneof({ arbitrary: fc.constant(undefined), weight: 60 }, { arbitrary: optionValue(spec), weight: 1 })
        // The first 15 options half the time, the rest less often: some 30 options at once would reject most sites.
        : spec.default !== undefined || ['inactivity-timeout', 'eviction-timeout', 'restart-interval', 'response-socket-timeout', 'maximum-requests'].includes(spec.option)
          ? optional(optionValue(spec))
          : fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: optionValue(spec), weight: 1 })])),
  { requiredKeys: [] },
);

const groupProps = fc.tuple(fc.record({
  name: optional(name),
  processes: optional(int(1, 8)),
  threads: optional(int(1, 64)),
  user: optional(user),
  group: optional(user),
  lang: optional(locale),
  locale: optional(locale),
  displayName: optional(mostly(fc.oneof(fc.constantFrom('%{GROUP}', '(wsgi:%{GROUP})', 'my app'), quotableString), hostileString, fc.constantFrom(''))),
}, { requiredKeys: [] }), daemonOptions).map(([a, b]) => ({ ...b, ...a }));

const relFile = mostly(
  fc.tuple(fc.option(fc.oneof(fc.stringMatching(/^[a-z]{1,6}$/), quotableName), { nil: undefined }), fc.oneof(fc.constantFrom('wsgi.py', 'app.wsgi'), quotableName))
    .map(([dir, file]) => (dir === undefined ? file : `${dir}/${file}`)),
  hostileString, fc.constantFrom('../wsgi.py', '/etc/passwd', '.', 'a/../../x', '', 'sub\\wsgi.py'), token, wrongType,
);
const relDir = mostly(
  fc.oneof(fc.constantFrom('static', 'assets/css', 'sub'), quotableName),
  hostileString, fc.constantFrom('..', '/tmp', '.', '', './'), token,
);

const appProps = fc.record({
  mountPath: urlPath,
  scriptFile: relFile,
  appName: optional(name),
  staticFiles: optional(fc.array(fc.record({
    urlPath: mostly(fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => `/${s.join('/')}`), urlPath),
    directory: relDir,
    maxAgeSec: optional(int(0, 31_536_000)),
  }, { requiredKeys: ['urlPath', 'directory'] }), { maxLength: 2 })),
  passAuthorization: optional(fc.boolean()),
  threadSafe: optional(fc.boolean()),
  callableObject: optional(mostly(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/), hostileString)),
}, { requiredKeys: ['mountPath', 'scriptFile'] });

/** Arbitrary site definitions, valid ones and invalid ones, for the public constructs. */
export const siteDef: fc.Arbitrary<SiteDef> = fc.record({
  platform: fc.nat({ max: Platform.ALL.length - 1 }),
  siteId: constructId,
  site: siteProps,
  venvs: fc.array(fc.record({ id: constructId, props: venvProps }), { minLength: 1, maxLength: 3 }),
  groups: fc.array(fc.record({ id: constructId, venv: fc.nat({ max: 2 }), props: groupProps }), { minLength: 1, maxLength: 3 }),
  apps: fc.array(fc.record({
    id: constructId,
    // Index into the groups (modulo their number); -2: the app's own index (one app per group);
    // -1, rarely: no daemon group.
    group: fc.oneof({ arbitrary: fc.constant(-2), weight: 20 }, { arbitrary: fc.nat({ max: 2 }), weight: 10 }, { arbitrary: fc.constant(-1), weight: 1 }),
    applicationGroup: fc.oneof({ arbitrary: fc.constantFrom('global', 'resource'), weight: 4 }, { arbitrary: fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/), weight: 1 }),
    createScript: fc.oneof({ arbitrary: fc.constant(true), weight: 20 }, { arbitrary: fc.constant(false), weight: 1 }),
    createStaticDirs: fc.oneof({ arbitrary: fc.constant(true), weight: 20 }, { arbitrary: fc.constant(false), weight: 1 }),
    props: appProps,
  }), { minLength: 1, maxLength: 4 }),
}) as fc.Arbitrary<SiteDef>;

/** Replaces `{ token: ... }` markers with real unresolved cdktf tokens. */
export function withTokens(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(withTokens);
  }
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (Object.keys(obj).length === 1 && (obj.token === 'string' || obj.token === 'number')) {
      return obj.token === 'string' ? Lazy.stringValue({ produce: () => 'x' }) : Lazy.numberValue({ produce: () => 1 });
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, withTokens(v)]));
  }
  return value;
}

export interface BuiltSite {
  readonly app: App;
  readonly stack: TerraformStack;
  readonly site?: ApacheSite;
}

/**
 * Builds the site through the public constructs: ApacheSite, VirtualEnvs,
 * DaemonGroups, then WsgiApps, whose source directories are created under
 * `sourceRoot` first. Throws whatever the constructs throw; `partial`
 * receives the tree so far so a caller can see the construct paths.
 */
export function buildSite(def: SiteDef, sourceRoot: string, partial: (b: BuiltSite) => void = () => {}): BuiltSite {
  const app = new App({ outdir: path.join(sourceRoot, 'cdktf.out') });
  const stack = new TerraformStack(app, 'Stack');
  partial({ app, stack });
  const resolvedSiteProps = withTokens(def.site) as Record<string, unknown>;
  const logLevel = typeof resolvedSiteProps.logLevel === 'string' ? (LogLevel as any)[resolvedSiteProps.logLevel] : undefined;
  const site = new ApacheSite(stack, def.siteId, { ...(resolvedSiteProps as any), logLevel, platform: Platform.ALL[def.platform] });
  partial({ app, stack, site });
  const platform = Platform.ALL[def.platform];
  const venvs = def.venvs.map((v, i) => {
    const props = withTokens(v.props) as Record<string, unknown>;
    return new VirtualEnv(stack, `${v.id}Env${i}`, { ...props, pythonVersion: props.pythonVersion === 'platform' ? platform.pythonVersion : props.pythonVersion } as any);
  });
  const groups = def.groups.map((g, i) => new DaemonGroup(site, `${g.id}Group${i}`, {
    ...(withTokens(g.props) as any),
    virtualEnv: venvs[g.venv % venvs.length],
  }));
  def.apps.forEach((a, i) => {
    const source = path.join(sourceRoot, `app${i}`);
    fs.mkdirSync(source, { recursive: true });
    const props = withTokens(a.props) as Record<string, any>;
    if (a.createScript) {
      tryCreate(source, props.scriptFile, 'file');
    }
    if (a.createStaticDirs && Array.isArray(props.staticFiles)) {
      for (const f of props.staticFiles) {
        tryCreate(source, f?.directory, 'directory');
      }
    }
    const applicationGroup = a.applicationGroup === 'global' ? ApplicationGroup.GLOBAL
      : a.applicationGroup === 'resource' ? ApplicationGroup.PER_RESOURCE
        : ApplicationGroup.named(a.applicationGroup);
    new WsgiApp(site, `${a.id}App${i}`, {
      ...(props as any),
      source,
      daemonGroup: a.group === -1 || groups.length === 0 ? undefined : groups[(a.group === -2 ? i : a.group) % groups.length],
      applicationGroup,
    });
  });
  return { app, stack, site };
}

/** Creates a file or directory at a relative path if the file system can hold it; ignores what it cannot. */
function tryCreate(base: string, rel: unknown, kind: 'file' | 'directory'): void {
  if (typeof rel !== 'string' || rel.length === 0 || rel.includes('\0') || path.isAbsolute(rel)) {
    return;
  }
  const full = path.resolve(base, rel);
  if (!full.startsWith(base + path.sep)) {
    return;
  }
  try {
    if (kind === 'directory') {
      fs.mkdirSync(full, { recursive: true });
    } else {
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, 'def application(environ, start_response):\n    pass\n');
    }
  } catch {
    // e.g. a name over 255 bytes, or a file where a directory is needed: the construct must reject it.
  }
}
