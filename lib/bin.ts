#!/usr/bin/env node
import * as fs from 'fs';
import * as path from 'path';

/**
 * The package's command. It loads the CLI of the build that matches the CDK the
 * user's program uses: a CDK Terrain program's sites are cdktn constructs, which
 * the cdktf build cannot find, and a cdktn-only project has no cdktf to load.
 */
export function programUsesCdktn(program: string | undefined): boolean {
  if (program === undefined) {
    return false;
  }
  const file = path.resolve(program);
  const resolves = (pkg: string) => {
    try {
      require.resolve(pkg, { paths: [path.dirname(file)] });
      return true;
    } catch {
      return false;
    }
  };
  if (!resolves('cdktn')) {
    return false;
  }
  if (!resolves('cdktf')) {
    return true;
  }
  // Both installed: the program's own imports decide.
  try {
    return /(?:from\s*|require\(\s*|import\(\s*)["'](?:cdktn|cdktf-apache-wsgi\/cdktn)(?:\/[^"']*)?["']/.test(fs.readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cli = require(programUsesCdktn(argv[1]) ? './cdktn/cli' : './cli') as { runCli(args: string[]): void };
  cli.runCli(argv);
}
