import { DependencyType, javascript, typescript } from 'projen';

// projen owns package.json, tsconfig*.json, .gitignore, .npmignore and the task
// definitions; edit this file and run `npx projen` instead of editing those.
const project = new typescript.TypeScriptProject({
  name: 'cdktf-apache-wsgi',
  description: 'CDK for Terraform constructs that host Python WSGI apps on Apache httpd + mod_wsgi',
  license: 'Apache-2.0',
  copyrightOwner: 'cdktf-apache-wsgi authors',
  defaultReleaseBranch: 'main',
  projenrcTs: true,
  packageManager: javascript.NodePackageManager.NPM,
  minNodeVersion: '20.0.0',
  typescriptVersion: '~5.9.3',
  projenVersion: '0.99.10',
  srcdir: 'lib',
  libdir: 'dist',
  testdir: 'test',
  entrypoint: 'dist/index.js',
  bin: { 'cdktf-apache-wsgi': 'dist/bin.js' },
  // CI, release and lint pipelines are ours (.ci/run); keep projen to the project files.
  github: false,
  release: false,
  buildWorkflow: false,
  eslint: true,
  // Report only: a lint run must not rewrite sources (CI lints the checkout as committed).
  eslintOptions: { dirs: ['lib'], devdirs: ['test'], prettier: false, commandOptions: { fix: false } },
  prettier: false,
  sampleCode: false,
  package: false,
  depsUpgrade: false,
  pullRequestTemplate: false,
  // The published files are an allow-list (`files` below), not an .npmignore.
  npmignoreEnabled: false,
  // The dev dependencies below are the pinned versions we develop with.
  peerDependencyOptions: { pinnedDevDependency: false },
  peerDeps: [
    'cdktf@0.21.0',
    'constructs@^10.4.2',
    '@cdktf/provider-aws@20.1.0',
    '@cdktf/provider-docker@^12.0.3',
  ],
  devDeps: [
    'cdktf@0.21.0',
    'cdktf-cli@0.21.0',
    'constructs@10.4.5',
    '@cdktf/provider-aws@20.1.0',
    '@cdktf/provider-docker@12.0.3',
    'ts-node@^10.9.2',
    '@types/node@^20',
    'fast-check@^3',
    // jsii toolchain (Python bindings): see lib/jsii.ts and the jsii tasks below.
    'jsii@5.9.50',
    'jsii-rosetta@5.9.63',
    'jsii-pacmak@1.140.0',
    'jsii-docgen@10.12.6',
    // The kernel behind every jsii language runtime, to drive the assembly as Python
    // does (test/package/jsii.test.ts); 1.22.0 is the only version on this registry.
    '@jsii/kernel@1.22.0',
    // The Node half of the Python runtime: its webpack bundle is what the vendored
    // jsii Python runtime (vendor/jsii-python-runtime) starts (test/package/python.test.ts).
    '@jsii/runtime@1.140.0',
  ],
  jest: true,
  jestOptions: {
    jestVersion: '^29',
    // Snapshots are reviewed by hand: `npx projen test:update` writes them, CI never does.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testTimeout: 120_000,
      collectCoverage: false,
    },
  },
  tsconfig: {
    // lib/jsii.ts is the jsii assembly's entry point (scripts/jsii.js), not the npm package's.
    exclude: ['lib/jsii.ts'],
    compilerOptions: {
      target: 'ES2022',
      lib: ['es2022'],
      skipLibCheck: true,
      esModuleInterop: true,
    },
  },
  tsconfigDev: {
    include: ['examples/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'],
    compilerOptions: {},
  },
  gitignore: ['/node_modules', '/cdktf.out/', '/.gen/', '*.tfstate*', '.terraform/', '/.serve/', '/out/', '/scratch/', '/.jsii-build/'],
});

// The README's main command: synthesize every example stack into cdktf.out/.
project.addTask('synth', {
  description: 'Synthesize the example stacks (cdktf.out/stacks/*: cdk.tf.json + apache/<site>/*.conf)',
  env: { CDKTF_OUTDIR: 'cdktf.out' },
  exec: 'ts-node --project tsconfig.dev.json examples/main.ts',
});

// The README's two commands install the Debian packages they need when missing
// (as root or through sudo -n), so a fresh Debian 12 machine needs only Node 20.
project.testTask.prependExec('sh scripts/system-deps.sh test');

// The README's main command: synthesize, then run every example site on the
// machine's real Apache, request each app once and stop (skipped with a notice
// where Apache is not installed).
project.addTask('examples', {
  description: 'Synthesize the example stacks and serve them on the local Apache + mod_wsgi as a check',
  steps: [
    { exec: 'sh scripts/system-deps.sh examples' },
    { spawn: 'synth' },
    { exec: 'ts-node --project tsconfig.dev.json lib/cli.ts serve examples/main.ts --check --if-available' },
  ],
});

// Serve the two-app example until Ctrl-C.
project.addTask('serve:examples', {
  description: 'Serve the two-apps example on the local Apache until Ctrl-C',
  exec: 'ts-node --project tsconfig.dev.json lib/cli.ts serve examples/main.ts --site two-apps/Site',
});

// Benchmarks on this machine: synthesis scale, and served throughput on real Apache +
// mod_wsgi vs nginx + gunicorn / uWSGI with wrk (loopback only), then where Django's
// CPU time goes. `npm run bench -- --quick` for short rounds, `-- --only=served` for
// one module; bench/index.ts lists them. Not part of `npm test`.
project.addTask('bench', {
  description: 'Run the benchmarks and print their tables (--quick: short rounds)',
  exec: 'node --expose-gc -r ts-node/register/transpile-only bench/index.ts',
  env: { TS_NODE_PROJECT: 'tsconfig.dev.json' },
  receiveArgs: true,
});

// Lint rules fitted to this code base's style: compact one-line objects, quoted
// version keys ('3.11'), shell text in template literals, file-mode bit tests.
project.eslint?.addRules({
  '@stylistic/object-property-newline': 'off',
  '@stylistic/quote-props': ['error', 'consistent'],
  '@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: true }],
  '@stylistic/max-len': ['error', { code: 150, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }],
  'no-bitwise': 'off',
});
// 3.7: later versions depend on unrs-resolver, whose per-platform optional packages
// are not all on every registry mirror, which leaves `npm ci` with an unusable lock.
project.deps.removeDependency('eslint-import-resolver-typescript');
project.addDevDeps('eslint-import-resolver-typescript@~3.7.0');
// Under rework elsewhere (the local runner, the recipe): findings there are to be fixed
// with that work, not by a sweeping reformat now.
project.eslint?.addOverride({
  files: ['lib/local/**', 'lib/provision/**', 'test/fuzz/**', 'test/integration/**', 'test/provision/**', 'test/hardening/**', 'test/bench/**', 'test/conf/**', 'test/local/**', 'test/realapps/**'],
  rules: {
    'import/order': 'off',
    '@typescript-eslint/member-ordering': 'off',
    '@typescript-eslint/no-floating-promises': 'off',
    '@typescript-eslint/no-require-imports': 'off',
    'import/no-extraneous-dependencies': 'off',
    '@stylistic/max-len': 'off',
  },
});

// ---- Other languages (jsii) ----
// The jsii assembly is built in .jsii-build/ from lib/jsii.ts (scripts/jsii.js says
// why there), so dist/ and the npm package's optional peers are unchanged.
// test/package/jsii.test.ts runs the compile and the Python generation in `npm test`.
// (The dev tsconfig still type-checks and lints lib/jsii.ts.)
project.tsconfigDev.file.addOverride('exclude', ['node_modules']);
project.addTask('jsii', {
  description: 'Compile the jsii assembly (.jsii-build/.jsii); fails on any jsii error or warning',
  exec: 'node scripts/jsii.js',
});
project.addTask('docgen', {
  description: 'Write API.md from the jsii assembly (jsii-docgen)',
  exec: 'node scripts/jsii.js --docgen',
});
project.addTask('package:python', {
  description: 'Generate the Python package source from the jsii assembly (.jsii-build/dist/python)',
  exec: 'node scripts/jsii.js --python',
});

// ---- The published package (`npm pack` of a fresh clone) ----
project.package.addVersion('0.1.0');
// Only the compiled library, its types and the CLI; npm adds package.json, README
// and LICENSE itself. The cdktn flavour carries a copy of @cdktf/provider-docker's
// bindings (scripts/cdktn-flavour.js), which ships with its MPL-2.0 license.
project.package.addField('files', ['dist/**/*.js', 'dist/**/*.d.ts', 'dist/cdktn/provider-docker/LICENSE', 'CHANGELOG.md']);
// Hosts are separate entry points so that the main one loads without the (large)
// provider packages; `cdktn` is the same library built against CDK Terrain.
const entry = (dir: string) => ({ types: `./${dir}.d.ts`, default: `./${dir}.js` });
// @jsii/runtime 1.140.0 asks for @jsii/kernel ^1.140.0, which this registry lacks
// (1.22.0 only). Only its webpack bundle is used, and that has its own kernel built in.
project.package.addField('overrides', { '@jsii/runtime': { '@jsii/kernel': '$@jsii/kernel' } });
project.package.addField('exports', {
  '.': entry('dist/index'),
  './docker': entry('dist/docker'),
  './aws': entry('dist/aws'),
  './cdktn': entry('dist/cdktn/index'),
  './cdktn/docker': entry('dist/cdktn/docker'),
  './cdktn/aws': entry('dist/cdktn/aws'),
  './cdktn/provider-docker': entry('dist/cdktn/provider-docker'),
  './package.json': './package.json',
});
// The same subpaths for TypeScript's older `node` module resolution, which ignores "exports".
project.package.addField('typesVersions', {
  '*': {
    'docker': ['dist/docker.d.ts'],
    'aws': ['dist/aws.d.ts'],
    'cdktn': ['dist/cdktn/index.d.ts'],
    'cdktn/docker': ['dist/cdktn/docker.d.ts'],
    'cdktn/aws': ['dist/cdktn/aws.d.ts'],
    'cdktn/provider-docker': ['dist/cdktn/provider-docker.d.ts'],
  },
});
// A site needs one CDK (cdktf or cdktn) and only the providers of the hosts it uses.
// (Not dev dependencies: cdktn's constructs range excludes the 10.4 that cdktf 0.21
// is developed with; CI installs cdktn in a scratch project instead.)
for (const dep of ['cdktn@^0.24.0', '@cdktn/provider-aws@^25.7.0']) {
  project.deps.addDependency(dep, DependencyType.PEER);
}
project.package.addField('peerDependenciesMeta', Object.fromEntries(
  ['cdktf', 'cdktn', '@cdktf/provider-aws', '@cdktf/provider-docker', '@cdktn/provider-aws']
    .map((name) => [name, { optional: true }]),
));
// Every compile also writes the CDK Terrain flavour (dist/cdktn/) and makes the command executable.
project.postCompileTask.exec('node scripts/cdktn-flavour.js dist');
project.postCompileTask.exec('chmod +x dist/bin.js');
// `npm pack` / `npm publish` of a fresh clone: compile from scratch first.
project.addTask('prepack', {
  description: 'Compile dist/ from scratch before npm packs it',
  steps: [
    { exec: 'rm -rf dist tsconfig.tsbuildinfo' },
    { spawn: 'compile' },
    { spawn: 'post-compile' },
  ],
});

project.synth();
