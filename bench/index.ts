import { runServedBench } from './served';

/**
 * `npm run bench` (all benchmarks) or `npm run bench -- --quick` (short rounds).
 * `--only=served` runs one module. Each module prints its own tables.
 */
interface BenchModule {
  readonly name: string;
  run(opts: { quick: boolean }): Promise<unknown>;
}

const MODULES: BenchModule[] = [
  { name: 'served', run: (opts) => runServedBench(opts) },
];

async function main(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick') || process.env.BENCH_QUICK === '1';
  const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
  const unknown = only?.filter((n) => !MODULES.some((m) => m.name === n)) ?? [];
  if (unknown.length > 0) {
    throw new Error(`unknown bench module(s) ${unknown.join(', ')}; known: ${MODULES.map((m) => m.name).join(', ')}`);
  }
  for (const mod of MODULES.filter((m) => !only || only.includes(m.name))) {
    const start = Date.now();
    console.log(`# bench ${mod.name}${quick ? ' (quick)' : ''}`);
    await mod.run({ quick });
    console.log(`# bench ${mod.name} took ${((Date.now() - start) / 1000).toFixed(0)} s`);
  }
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
