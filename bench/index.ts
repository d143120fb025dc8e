import * as os from 'os';
import { APPS, AppName, runDjangoProfile, runServed } from './served';
import { runSynthScale } from './synth-scale';

/**
 * `npm run bench` (all benchmarks) or `npm run bench -- --quick` (short rounds;
 * or BENCH_QUICK=1). `--only=served` runs one module, `--apps=django` only that app of `served`. Each module prints its own
 * tables and returns whether its target was met; the exit code is 1 if any was not.
 */
interface BenchOptions {
  readonly quick: boolean;
  /** served: only these apps (`--apps=django,io`); every app when absent. */
  readonly apps?: readonly AppName[];
}

interface BenchModule {
  readonly name: string;
  run(opts: BenchOptions): boolean | Promise<boolean>;
}

const MODULES: BenchModule[] = [
  { name: 'synth-scale', run: (opts) => runSynthScale(opts.quick ? [1, 10, 100] : [1, 10, 100, 1000], opts.quick ? 3 : 5) },
  { name: 'served', run: (opts) => runServed(opts.quick, opts.apps) },
  { name: 'profile', run: async (opts) => { await runDjangoProfile(opts.quick); return true; } },
];

/**
 * On a shared machine the other jobs take CPU from whichever target is being
 * measured, unevenly across targets. Everything the bench starts (wrk, Apache and
 * its daemons, the peers) inherits this process's priority, so raising it once
 * makes the other jobs yield to every target alike. Needs root (CAP_SYS_NICE).
 */
const BENCH_NICE = -10;

function raisePriority(): string {
  try {
    os.setPriority(BENCH_NICE);
    return `the bench and every process it starts run at nice ${BENCH_NICE} (other jobs at their own, usually 0)`;
  } catch {
    return `nice ${os.getPriority()}: not allowed to raise the priority (not root), so other jobs compete with the targets on equal terms`;
  }
}

async function main(argv: string[]): Promise<void> {
  console.log(`# priority: ${raisePriority()}`);
  const quick = argv.includes('--quick') || process.env.BENCH_QUICK === '1';
  const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
  const unknown = only?.filter((n) => !MODULES.some((m) => m.name === n)) ?? [];
  if (unknown.length > 0) {
    throw new Error(`unknown bench module(s) ${unknown.join(', ')}; known: ${MODULES.map((m) => m.name).join(', ')}`);
  }
  const apps = argv.find((a) => a.startsWith('--apps='))?.slice('--apps='.length).split(',');
  const unknownApps = apps?.filter((a) => !(a in APPS)) ?? [];
  if (unknownApps.length > 0) {
    throw new Error(`unknown app(s) ${unknownApps.join(', ')}; known: ${Object.keys(APPS).join(', ')}`);
  }
  let ok = true;
  for (const mod of MODULES.filter((m) => !only || only.includes(m.name))) {
    const start = Date.now();
    console.log(`# bench ${mod.name}${quick ? ' (quick)' : ''}`);
    ok = (await mod.run({ quick, apps: apps as AppName[] | undefined })) && ok;
    console.log(`# bench ${mod.name} took ${((Date.now() - start) / 1000).toFixed(0)} s`);
  }
  process.exitCode = ok ? 0 : 1;
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
