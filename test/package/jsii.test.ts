import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { JSII_TIMEOUT_MS, jsiiBuild, ROOT } from './jsii-build';

// The jsii build (scripts/jsii.js): the public API compiles with jsii, API.md is its
// jsii-docgen output, and jsii-pacmak generates a Python package from it.
let scratch: string;

interface AssemblyProperty { readonly name: string; readonly optional?: boolean; readonly docs?: { readonly default?: string } }
interface AssemblyType {
  readonly kind: string;
  readonly datatype?: boolean;
  readonly locationInModule?: { readonly filename: string };
  readonly properties?: AssemblyProperty[];
}

function assemblyTypes(dir: string): Record<string, AssemblyType> {
  return JSON.parse(fs.readFileSync(path.join(dir, '.jsii'), 'utf8')).types;
}

/** Class names a generated Python module defines (parsed; python.test.ts imports and runs it). */
function pythonClasses(file: string): string[] {
  const script = 'import ast,sys; print("\\n".join(n.name for n in ast.parse(open(sys.argv[1]).read()).body if isinstance(n, ast.ClassDef)))';
  return execFileSync('python3', ['-c', script, file], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

const out = () => path.join(scratch, 'build');

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'jsii-test-'));
  jsiiBuild(['--out', out(), '--docs-in-out', '--python']);
}, JSII_TIMEOUT_MS);

afterAll(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe('the jsii assembly', () => {
  test('has the constructs, their props and enum-like classes, with the hosts as the aws and docker submodules', () => {
    // GIVEN the assembly compiled from lib/jsii.ts (in beforeAll, with --fail-on-warnings)
    const types = assemblyTypes(out());

    // THEN the constructs and the hosts are classes, their props structs
    for (const fqn of ['ApacheSite', 'DaemonGroup', 'WsgiApp', 'VirtualEnv', 'Platform', 'LogLevel', 'ApplicationGroup', 'AppSecret',
      'TlsCertificate', 'aws.Ec2Host', 'aws.Ec2Fleet', 'aws.EcsFargateHost', 'aws.HttpsLoadBalancer', 'aws.TargetType', 'docker.DockerHost',
      'docker.RestartPolicy']) {
      expect(types[`cdktf-apache-wsgi.${fqn}`]?.kind).toBe('class');
    }
    for (const fqn of ['ApacheSiteProps', 'DaemonGroupProps', 'WsgiAppProps', 'VirtualEnvProps', 'aws.Ec2HostProps', 'docker.DockerHostProps']) {
      expect(types[`cdktf-apache-wsgi.${fqn}`]?.datatype).toBe(true);
    }
  });

  test('has no type of the internal layers (lib/conf, lib/provision, lib/local, lib/private)', () => {
    const internal = Object.entries(assemblyTypes(out()))
      .filter(([, t]) => /^lib\/(conf|provision|local|private)\//.test(t.locationInModule?.filename ?? ''))
      .map(([fqn]) => fqn);
    expect(internal).toEqual([]);
  });

  test('documents a @default for every optional prop of every struct', () => {
    const missing = Object.entries(assemblyTypes(out()))
      .filter(([, t]) => t.datatype)
      .flatMap(([fqn, t]) => (t.properties ?? []).filter((p) => p.optional && !p.docs?.default).map((p) => `${fqn}.${p.name}`));
    expect(missing).toEqual([]);
  });

  test('has no union types (house rule; jsii would accept unions of primitives and classes)', () => {
    const text = fs.readFileSync(path.join(out(), '.jsii'), 'utf8');
    expect(text).not.toContain('"union"');
  });
});

test('API.md is the jsii-docgen output of the current API (else run `npx projen docgen`)', () => {
  const generated = fs.readFileSync(path.join(out(), 'API.md'), 'utf8').split('\n');
  const committed = fs.readFileSync(path.join(ROOT, 'API.md'), 'utf8').split('\n');
  // The first differing line, not a diff of a 300 kB file.
  const line = generated.findIndex((l, i) => l !== committed[i]);
  const first = line < 0 && generated.length === committed.length ? undefined
    : { line: (line < 0 ? generated.length : line) + 1, generated: generated[line], committed: committed[line] };
  expect(first).toBeUndefined();
});

test("the README's pinned versions include the jsii toolchain's", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const pins = /Pinned versions \(package\.json\):([\s\S]*?)\n\n/.exec(readme)?.[1].replace(/\s+/g, ' ') ?? '';
  const stated = ['jsii', 'jsii-rosetta', 'jsii-pacmak', 'jsii-docgen', '@jsii/kernel', '@jsii/runtime'].map((name) => `\`${name}\` ${pkg.devDependencies[name]}`);
  expect(stated.filter((pin) => !pins.includes(pin))).toEqual([]);
});

describe('the jsii entry point (lib/jsii.ts)', () => {
  // jsii drops exported functions and constants silently and widens string literal
  // unions to string: both would vanish from the other languages' API unnoticed.
  const program = ts.createProgram([path.join(ROOT, 'lib', 'jsii.ts')], { strict: true, skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  // TypeScript-only constant of the `cdktf-apache-wsgi/aws` entry point.
  const TS_ONLY = new Set(['EC2_BUNDLE_ROOT']);

  /** Every symbol lib/jsii.ts exports, with the submodules' (aws, docker) flattened in. */
  function exported(): ts.Symbol[] {
    const walk = (moduleSymbol: ts.Symbol): ts.Symbol[] => checker.getExportsOfModule(moduleSymbol).flatMap((s) => {
      const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
      return target.flags & ts.SymbolFlags.ValueModule ? walk(target) : [target];
    });
    return walk(checker.getSymbolAtLocation(program.getSourceFile(path.join(ROOT, 'lib', 'jsii.ts'))!)!);
  }

  test('exports no free functions or constants', () => {
    const values = exported()
      .filter((s) => s.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Variable))
      .map((s) => s.name)
      .filter((n) => !TS_ONLY.has(n));
    expect(values).toEqual([]);
  });

  test('has no string literal unions in props or public members (enum-like classes instead)', () => {
    const literalUnions: string[] = [];
    for (const s of exported().filter((e) => e.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface))) {
      const decl = s.declarations![0];
      const type = checker.getDeclaredTypeOfSymbol(s);
      for (const prop of checker.getPropertiesOfType(type)) {
        const propDecl = prop.valueDeclaration;
        if (!propDecl || (ts.getCombinedModifierFlags(propDecl) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) || prop.name.startsWith('_')) continue;
        const t = checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(prop, decl));
        // (A TypeScript enum's type is a union of its members: those are fine.)
        const literal = (m: ts.Type) => (m.isStringLiteral() || m.isNumberLiteral()) && !(m.flags & ts.TypeFlags.EnumLiteral);
        if (t.isUnion() && t.types.every(literal)) {
          literalUnions.push(`${s.name}.${prop.name}: ${checker.typeToString(t)}`);
        }
      }
    }
    expect(literalUnions).toEqual([]);
  });

  test('fails to compile a public type jsii cannot represent (mapped types, callbacks)', () => {
    // GIVEN props with a mapped type and a callback, exported from the entry point
    const probe = path.join(scratch, 'probe.ts');
    fs.writeFileSync(probe, [
      'export interface ProbeProps {',
      '  readonly timeouts: Required<{ readonly connectSec?: number }>;',
      '  readonly onReady: (url: string) => void;',
      '}',
      '',
    ].join('\n'));

    // WHEN jsii compiles it THEN it fails, naming the probe's lines
    expect(() => jsiiBuild(['--out', path.join(scratch, 'probe-build'), '--probe', probe]))
      .toThrow(/lib\/jsii-probe\.ts:2:\d+ - error JSII1003: Only string-indexed map types are supported/);
  }, JSII_TIMEOUT_MS);
});

describe('the Python package (jsii-pacmak)', () => {
  const python = () => path.join(out(), 'dist', 'python');

  test('compiles and defines the constructs in cdktf_apache_wsgi, .aws and .docker', () => {
    // GIVEN the generated source WHEN Python byte-compiles it THEN it has no syntax error
    execFileSync('python3', ['-m', 'compileall', '-q', path.join(python(), 'src')], { stdio: 'pipe' });
    const pkg = path.join(python(), 'src', 'cdktf_apache_wsgi');
    expect(pythonClasses(path.join(pkg, '__init__.py'))).toEqual(expect.arrayContaining(['ApacheSite', 'DaemonGroup', 'WsgiApp', 'VirtualEnv', 'Platform', 'LogLevel']));
    expect(pythonClasses(path.join(pkg, 'aws', '__init__.py'))).toEqual(expect.arrayContaining(['Ec2Host', 'Ec2Fleet', 'EcsFargateHost', 'HttpsLoadBalancer']));
    expect(pythonClasses(path.join(pkg, 'docker', '__init__.py'))).toEqual(expect.arrayContaining(['DockerHost']));
  });

  test('works through the jsii kernel as a Python program drives it: constructs, statics, errors, synth', () => {
    // GIVEN the assembly tarball pacmak bundled into the Python package, and constructs and cdktf packed
    const tarballs = path.join(scratch, 'tarballs');
    fs.mkdirSync(tarballs);
    for (const dep of ['constructs', 'cdktf']) {
      execFileSync('npm', ['pack', '--silent', '--pack-destination', tarballs, path.join(ROOT, 'node_modules', dep)], { stdio: 'pipe' });
    }
    const tgz = (prefix: string) => path.join(tarballs, fs.readdirSync(tarballs).find((f) => f.startsWith(`${prefix}-`))!);
    const assembly = path.join(python(), 'src', 'cdktf_apache_wsgi', '_jsii', 'cdktf-apache-wsgi@0.1.0.jsii.tgz');
    const synthOut = path.join(scratch, 'kernel-synth');

    // WHEN a session creates a site with one app, reads the catalogue, provokes a ValidationError and synthesizes
    const output = execFileSync('node', [path.join(__dirname, 'jsii-kernel-session.js'), tgz('constructs'), tgz('cdktf'), assembly,
      path.join(ROOT, 'examples', 'apps', 'hello'), synthOut], {
      encoding: 'utf8', timeout: JSII_TIMEOUT_MS, env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') },
    });
    const session = JSON.parse(output);

    // THEN every call crossed the boundary and the Apache config was written
    expect(session.osId).toBe('debian-12');
    expect(session.platforms).toBeGreaterThan(1);
    expect(session.headerMaxSec).toBe(30);
    expect(session.daemonGroups).toBe(1);
    expect(session.validationError).toMatch(/^hello\/Site\/Bad: threads 0 is invalid; expected an integer from 1 to 512/);
    expect(session.siteConf).toMatch(/^\s*WSGIDaemonProcess hello .*processes=2 threads=5/m);
  }, JSII_TIMEOUT_MS);

  test('depends on cdktf, constructs and both providers (Python has no optional peers)', () => {
    const setup = fs.readFileSync(path.join(python(), 'setup.py'), 'utf8');
    const requires = JSON.parse(/"install_requires": (\[[^\]]*\])/.exec(setup)![1]) as string[];
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(requires).toEqual(expect.arrayContaining([
      `cdktf==${pkg.peerDependencies.cdktf}`,
      `cdktf-cdktf-provider-aws==${pkg.peerDependencies['@cdktf/provider-aws']}`,
      expect.stringMatching(/^cdktf-cdktf-provider-docker>=12\.\d+\.\d+, <13\.0\.0$/),
      expect.stringMatching(/^constructs>=10\.\d+\.\d+, <11\.0\.0$/),
    ]));
  });
});
