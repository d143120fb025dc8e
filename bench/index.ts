/**
 * `npm run bench`: every benchmark, one after another, each printing its table.
 * Add a benchmark by exporting a function returning true (pass) / false and listing it here.
 */
import { runSynthScale } from './synth-scale';

const BENCHES: { readonly name: string; readonly run: () => boolean | Promise<boolean> }[] = [
  { name: 'synth-scale', run: () => runSynthScale([1, 10, 100, 1000], 5) },
];

(async () => {
  let ok = true;
  for (const b of BENCHES) {
    console.log(`\n== ${b.name}`);
    ok = (await b.run()) && ok;
  }
  process.exitCode = ok ? 0 : 1;
})();
