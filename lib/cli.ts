#!/usr/bin/env node
import { spawnSync } from 'child_process';
import * as path from 'path';
import { ApacheSite } from './apache-site';
import { ContainerSiteHost } from './container-site-host';
import { findSites, loadApps, LocalApacheMissingError, RUN_TOKEN_HEADER, RunningSite, startLocalSite } from './local';
import { writeRenderedSite } from './private/render-site';
import { HEALTH_PROBE_PY, healthProbeArgs } from './provision/health';
import { healthChecks } from './provision/recipe';

const USAGE = `Usage: cdktf-apache-wsgi serve <main.ts|main.js> [--site PATH] [--port N] [--env-file FILE] [--data-dir DIR] [--check] [--if-available]
       cdktf-apache-wsgi render <main.ts|main.js> --out DIR [--site PATH]

serve: serves the ApacheSite(s) of a cdktf program on the local Apache + mod_wsgi.
  --site PATH      only the site at this construct path (or under it), e.g. two-apps/Site
  --port N         port on 127.0.0.1 (default: a free port; one site only)
  --env-file FILE  secret values (NAME=value lines) not set in the environment
  --data-dir DIR   where the daemon groups' data directories live, under DIR/<site>
                   (kept between runs; default: <tmpdir>/cdktf-apache-wsgi-data-<uid>/<site>)
  --check          probe every app's health check path once, print the results, stop;
                   exit 1 on a failure
  --if-available   exit 0 with a notice when Apache or mod_wsgi is not installed

render: writes each site's hosting files to DIR/<construct path>/ without Terraform: the
  Apache config, the VM provisioning bundle (provision.sh), a #cloud-config carrying
  it and, for a site with a container host, the image build context.
  --out DIR        where to write (a site's directory is replaced only if render wrote it)
  --site PATH      only the site at this construct path (or under it)`;

interface Args {
  command: 'serve' | 'render'; module: string; site?: string; port?: number; envFile?: string; dataDir?: string; out?: string;
  check: boolean; ifAvailable: boolean;
}

function parseArgs(argv: string[]): Args {
  const [command, module, ...rest] = argv;
  if ((command !== 'serve' && command !== 'render') || !module) {
    throw new UsageError(USAGE);
  }
  const args: Args = { command, module, check: false, ifAvailable: false };
  const serveOnly = new Set(['--port', '--env-file', '--data-dir', '--check', '--if-available']);
  for (let i = 0; i < rest.length; i++) {
    if ((command === 'render' && serveOnly.has(rest[i])) || (command === 'serve' && rest[i] === '--out')) {
      throw new UsageError(`${rest[i]} is not an option of ${command}\n${USAGE}`);
    }
    switch (rest[i]) {
      case '--out': args.out = rest[++i]; break;
      case '--site': args.site = rest[++i]; break;
      case '--port': args.port = Number(rest[++i]); break;
      case '--env-file': args.envFile = rest[++i]; break;
      case '--data-dir': args.dataDir = rest[++i]; break;
      case '--check': args.check = true; break;
      case '--if-available': args.ifAvailable = true; break;
      default: throw new UsageError(`unknown option ${rest[i]}\n${USAGE}`);
    }
  }
  if (args.port !== undefined && !(Number.isInteger(args.port) && args.port > 0 && args.port < 65536)) {
    throw new UsageError(`--port expects 1-65535\n${USAGE}`);
  }
  if (command === 'render' && !args.out) {
    throw new UsageError(`render needs --out DIR\n${USAGE}`);
  }
  return args;
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const sites = findSites(loadApps(args.module), args.site);
  if (sites.length === 0) {
    throw new UsageError(`no ApacheSite${args.site ? ` at ${args.site}` : ''} in ${args.module}`);
  }
  if (args.command === 'render') {
    for (const site of sites) {
      const container = site.node.root.node.findAll().find((c): c is ContainerSiteHost => c instanceof ContainerSiteHost && c.site === site);
      const dir = writeRenderedSite(site, path.resolve(args.out!), container?.buildContext());
      console.log(`${site.node.path}: wrote ${dir}`);
    }
    return 0;
  }
  if (args.port !== undefined && sites.length > 1) {
    throw new UsageError('--port needs a single site: add --site PATH');
  }
  const running: RunningSite[] = [];
  const stopAll = () => Promise.all(running.map((r) => r.stop()));
  try {
    for (const site of sites) {
      running.push(await startLocalSite(site, {
        port: args.port,
        log: (l) => console.log(`[${site.node.path}] ${l}`),
        streamErrorLog: !args.check,
        envFile: args.envFile && path.resolve(args.envFile),
        dataDir: args.dataDir && path.join(path.resolve(args.dataDir), site.siteName),
      }));
      printUrls(site, running[running.length - 1]);
    }
  } catch (e) {
    await stopAll();
    throw e;
  }
  if (args.check) {
    const failures = (await Promise.all(sites.map((s, i) => checkSite(s, running[i])))).reduce((a, b) => a + b, 0);
    await stopAll();
    console.log(failures === 0 ? 'local check passed: every app answered healthy on its health check path on real Apache' : `local check FAILED: ${failures} app(s) did not answer healthy`);
    return failures === 0 ? 0 : 1;
  }
  console.log('Press Ctrl-C to stop.');
  // Stop on Ctrl-C / SIGTERM, or fail at once when an Apache dies under us (the runner has
  // already killed its process group and removed its work directory).
  const ended = await new Promise<{ site?: ApacheSite; how?: string }>((resolve) => {
    process.once('SIGINT', () => resolve({}));
    process.once('SIGTERM', () => resolve({}));
    running.forEach((r, i) => r.exited.then((how) => resolve({ site: sites[i], how })));
  });
  await stopAll();
  if (ended.site) {
    console.error(`error: Apache serving ${ended.site.node.path} exited unexpectedly (${ended.how}); stopped its remaining processes and removed its work directory`);
    return 1;
  }
  return 0;
}

function printUrls(site: ApacheSite, run: RunningSite): void {
  for (const app of site.apps) {
    console.log(`  ${app.appName.padEnd(20)} ${run.appUrls[app.appName]}   (daemon group ${app.daemonGroup?.name ?? 'embedded'})`);
  }
  console.log(`  config ${run.configFile}\n  error log ${run.errorLog}\n  apache pid ${run.pid}, work dir ${run.workDir}`);
}

/**
 * Runs the one health probe (the recipe's and the image's) over every app's
 * health path with the Python mod_wsgi links; an answer counts only if it
 * carries this run's token, never from another server on the port.
 */
async function checkSite(site: ApacheSite, run: RunningSite): Promise<number> {
  const args = healthProbeArgs(`127.0.0.1:${run.port}`, healthChecks(site.toSpec(), run.url), undefined, [RUN_TOKEN_HEADER, run.runToken]);
  const result = spawnSync(run.apache.pythonBinary, ['-c', HEALTH_PROBE_PY, ...args], { encoding: 'utf8' });
  process.stdout.write(result.stdout.replace(/^/gm, '  '));
  const failures = (result.stdout.match(/^\[health\] FAIL/gm) ?? []).length;
  return result.status === 0 ? 0 : Math.max(failures, 1);
}

/** Runs a command and exits the process with its status (bin.ts calls it on the build the program uses). */
export function runCli(argv: string[]): void {
  main(argv).then((code) => process.exit(code), (e) => {
    if (e instanceof LocalApacheMissingError && argv.includes('--if-available')) {
      console.log(`Skipping the local run: ${e.message}`);
      process.exit(0);
    }
    console.error(e instanceof UsageError ? e.message : `error: ${e.message}`);
    process.exit(e instanceof UsageError ? 2 : 1);
  });
}

if (require.main === module) {
  runCli(process.argv.slice(2));
}
