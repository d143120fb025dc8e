#!/usr/bin/env node
// Builds the jsii assembly (the Python bindings' input) in .jsii-build/, away from
// the npm package: dist/, package.json and its optional peers stay as they are.
// jsii has one entry point per assembly: lib/jsii.ts (the constructs, props and
// enum-like classes, with the hosts as the `aws` and `docker` submodules). A jsii
// package's peers are its languages' dependencies, so Python users get cdktf,
// constructs and both providers installed with it.
//
//   node scripts/jsii.js             compile; fails on any jsii error or warning
//   node scripts/jsii.js --docgen    also write API.md (jsii-docgen)
//   node scripts/jsii.js --python    also generate the Python package source (jsii-pacmak)
//   --out DIR: build there; --docs-in-out: write API.md there (not in the checkout);
//   --probe FILE: also export FILE's types (test/package/jsii.test.ts)
//   node scripts/jsii.js --python-of PKG_DIR --out DIR
//                                    only generate the Python package source of the
//                                    jsii package PKG_DIR (a dependency such as
//                                    node_modules/cdktf) in DIR/python
'use strict';
const childProcess = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, '.jsii-build');
// The peers an assembly may have: jsii modules only (cdktn's packages are not built
// for it here: the cdktn flavour is a TypeScript rewrite of dist/, see cdktn-flavour.js).
const PEERS = ['cdktf', 'constructs', '@cdktf/provider-aws', '@cdktf/provider-docker'];
// Target languages' reserved words: only Python is generated, and `package` (a Java/Go
// word) is a field name of the platform catalogue's types.
const SILENCED = ['reserved-word'];

function run(bin, args, cwd) {
  const r = childProcess.spawnSync(path.join(ROOT, 'node_modules', '.bin', bin), args, {
    cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8',
    // The README's supported Node is 20; jsii's end-of-life banner adds nothing here.
    env: { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' },
  });
  if (r.status !== 0) {
    // jsii prints its diagnostics to stdout: they are the message.
    throw new Error(`${bin} ${args.join(' ')} failed (exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
  }
  return r.stdout;
}

function installedVersion(name) {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
}

/**
 * The npm package's peer range, unless its lowest version is not the one developed
 * with (jsii wants them equal): then a caret range from that one.
 */
function peerRange(range, installed) {
  return range.replace(/^[\^~]/, '') === installed ? range : `^${installed}`;
}

/** package.json of the assembly: the npm package's name, version and peers, jsii's entry point. */
function assemblyPackage(pkg) {
  return {
    name: pkg.name,
    version: pkg.version,
    description: pkg.description,
    license: pkg.license,
    author: { name: 'cdktf-apache-wsgi authors', organization: true },
    // jsii requires a repository; the project has none published yet.
    repository: { type: 'git', url: pkg.repository?.url ?? 'https://example.invalid/cdktf-apache-wsgi.git' },
    main: 'lib/jsii.js',
    types: 'lib/jsii.d.ts',
    peerDependencies: Object.fromEntries(PEERS.map((p) => [p, peerRange(pkg.peerDependencies[p], installedVersion(p))])),
    devDependencies: Object.fromEntries(PEERS.map((p) => [p, installedVersion(p)])),
    stability: 'experimental',
    jsii: {
      outdir: 'dist',
      targets: { python: { distName: 'cdktf-apache-wsgi', module: 'cdktf_apache_wsgi' } },
      excludeTypescript: ['lib/cli.ts'],
    },
  };
}

/** Copies the sources into `out` with the assembly's package.json; `extraSources` (name -> text) go into lib/. */
function stage(out, extraSources = {}) {
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  fs.cpSync(path.join(ROOT, 'lib'), path.join(out, 'lib'), { recursive: true });
  for (const [name, text] of Object.entries(extraSources)) fs.writeFileSync(path.join(out, 'lib', name), text);
  for (const f of ['README.md', 'LICENSE']) fs.copyFileSync(path.join(ROOT, f), path.join(out, f));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(out, 'node_modules'));
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  fs.writeFileSync(path.join(out, 'package.json'), `${JSON.stringify(assemblyPackage(pkg), null, 2)}\n`);
}

/** Stages and compiles; `out`/.jsii is the assembly. Throws on any jsii error or warning. */
function compile(out = OUT, extraSources = {}) {
  stage(out, extraSources);
  run('jsii', ['--fail-on-warnings', ...SILENCED.flatMap((w) => ['--silence-warnings', w])], out);
}

/** API.md of the compiled assembly in `out`. */
function docgen(out = OUT) {
  run('jsii-docgen', ['-o', 'API.md'], out);
  return path.join(out, 'API.md');
}

/**
 * The Python package source of the jsii package in `pkgDir` (default: the compiled
 * assembly in OUT), generated in `outdir`/python: returns that directory.
 */
function pythonSource(pkgDir = OUT, outdir = path.join(pkgDir, 'dist')) {
  // Source only: building the wheel needs pip packages (twine, pinned setuptools and
  // build) that an offline mirror may lack.
  run('jsii-pacmak', ['--code-only', '--targets', 'python', '--outdir', outdir, pkgDir], ROOT);
  return path.join(outdir, 'python');
}

/** The value after `flag` in argv, if any. */
function option(argv, flag) {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}

function main(argv) {
  const out = path.resolve(option(argv, '--out') ?? OUT);
  const dependency = option(argv, '--python-of');
  if (dependency !== undefined) {
    console.error(`Python package source in ${path.relative(process.cwd(), pythonSource(path.resolve(dependency), out))}`);
    return;
  }
  // A test's probe: one more module, exported from the staged copy's entry point.
  const probe = option(argv, '--probe');
  const extra = probe === undefined ? {} : {
    'jsii-probe.ts': fs.readFileSync(probe, 'utf8'),
    'jsii.ts': `${fs.readFileSync(path.join(ROOT, 'lib', 'jsii.ts'), 'utf8')}export * from './jsii-probe';\n`,
  };
  compile(out, extra);
  const types = Object.keys(JSON.parse(fs.readFileSync(path.join(out, '.jsii'), 'utf8')).types).length;
  console.error(`jsii assembly: ${path.relative(process.cwd(), path.join(out, '.jsii'))} (${types} types)`);
  if (argv.includes('--docgen')) {
    fs.copyFileSync(docgen(out), path.join(ROOT, 'API.md'));
    console.error('API.md written');
  }
  if (argv.includes('--docs-in-out')) docgen(out);
  if (argv.includes('--python')) {
    console.error(`Python package source in ${path.relative(process.cwd(), pythonSource(out))}`);
  }
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
module.exports = { ROOT, compile, docgen, pythonSource };
