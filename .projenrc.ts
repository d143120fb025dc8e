import { javascript, typescript } from 'projen';

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
  bin: { 'cdktf-apache-wsgi': 'dist/cli.js' },
  // CI, release and lint pipelines are ours (.ci/run); keep projen to the project files.
  github: false,
  release: false,
  buildWorkflow: false,
  eslint: false,
  prettier: false,
  sampleCode: false,
  package: false,
  depsUpgrade: false,
  pullRequestTemplate: false,
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
  gitignore: ['/cdktf.out/', '/.gen/', '*.tfstate*', '.terraform/', '/.serve/', '/out/', '/scratch/'],
});

// The README's main command: synthesize every example stack into cdktf.out/.
project.addTask('synth', {
  description: 'Synthesize the example stacks (cdktf.out/stacks/*: cdk.tf.json + apache/<site>/*.conf)',
  env: { CDKTF_OUTDIR: 'cdktf.out' },
  exec: 'ts-node --project tsconfig.dev.json examples/main.ts',
});

// The README's main command: synthesize, then run every example site on the
// machine's real Apache, request each app once and stop (skipped with a notice
// where Apache is not installed).
project.addTask('examples', {
  description: 'Synthesize the example stacks and serve them on the local Apache + mod_wsgi as a check',
  steps: [
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

project.synth();
