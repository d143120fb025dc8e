import { runDjangoProfile, runServed } from './served';
import { runSynthScale } from './synth-scale';

/**
 * `npm run bench` (all benchmarks) or `npm run bench -- --quick` (short rounds;
 * or BENCH_QUICK=1). `--only=served` runs one module. Each module prints its own
 * tables and returns whether its target was met; the exit code is 1 if any was not.
 */
interface BenchModule {
  readonly name: string;
  run(opts: { quick: boolean }): boolean | Promise<boolean>;
}

const MODULES: BenchModule[] = [
  { name: 'synth-scale', run: (opts) => runSynthScale(opts.quick ? [1, 10, 100] : [1, 10, 100, 1000], opts.quick ? 3 : 5) },
  { name: 'served', run: (opts) => runServed(opts.quick) },
  { name: 'profile', run: async (opts) => { await runDjangoProfile(opts.quick); return true; } },
];

async function main(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick') || process.env.BENCH_QUICK === '1';
  const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
  const unknown = only?.filter((n) => !MODULES.some((m) => m.name === n)) ?? [];
  if (unknown.length > 0) {
    throw new Error(`unknown bench module(s) ${unknown.join(', ')}; known: ${MODULES.map((m) => m.name).join(', ')}`);
  }
  let ok = true;
  for (const mod of MODULES.filter((m) => !only || only.includes(m.name))) {
    const start = Date.now();
    console.log(`# bench ${mod.name}${quick ? ' (quick)' : ''}`);
    ok = (await mod.run({ quick })) && ok;
    console.log(`# bench ${mod.name} took ${((Date.now() - start) / 1000).toFixed(0)} s`);
  }
  process.exitCode = ok ? 0 : 1;
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
