/**
 * Synthesis scale: time and memory to synthesize N apps (each in its own
 * DaemonGroup, with a shared or own VirtualEnv) on a site with a DockerHost vs
 * a bare cdktf stack with the same Terraform resources (the Docker provider, one
 * docker_image and one docker_container) plus three elements per app
 * (2 TerraformLocal + 1 TerraformOutput), measured side by side in one process,
 * alternating, several repetitions. The library does more for the same
 * resources: it renders the Apache config, the recipe and the image's build
 * context (every app's files copied) into the output directory.
 *
 *   npx ts-node -P tsconfig.dev.json bench/synth-scale.ts [--sizes 1,10,100,1000] [--reps 3]
 *
 * Run with --expose-gc (the bench task does) so heap deltas are not noise.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, TerraformLocal, TerraformOutput, TerraformStack } from 'cdktf';
import { Container } from '@cdktf/provider-docker/lib/container';
import { Image } from '@cdktf/provider-docker/lib/image';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { ApacheSite, DaemonGroup, Platform, VirtualEnv, WsgiApp } from '../lib';
import { DockerHost } from '../lib/docker';

type Kind = 'library' | 'bare';

interface Sample { readonly ms: number; readonly heapMb: number; readonly rssMb: number }

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const gc = (global as any).gc as (() => void) | undefined;

function measure(fn: () => void): Sample {
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const rss0 = process.memoryUsage().rss;
  const t0 = process.hrtime.bigint();
  fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const m = process.memoryUsage();
  return { ms, heapMb: (m.heapUsed - heap0) / 2 ** 20, rssMb: (m.rss - rss0) / 2 ** 20 };
}

/** N apps, each in its own daemon group; every 10th app shares the previous venv. */
function librarySynth(n: number, src: string, outdir: string): void {
  const app = new App({ outdir });
  const stack = new TerraformStack(app, 'scale');
  const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'www.example.com' });
  let venv: VirtualEnv | undefined;
  for (let i = 0; i < n; i++) {
    if (!venv || i % 10 !== 9) {
      venv = new VirtualEnv(stack, `Env${i}`);
    }
    const group = new DaemonGroup(site, `G${i}`, { virtualEnv: venv });
    new WsgiApp(site, `App${i}`, { mountPath: i === 0 ? '/' : `/app${i}`, source: src, scriptFile: 'wsgi.py', daemonGroup: group });
  }
  new DockerProvider(stack, 'Docker');
  new DockerHost(stack, 'Host', { site });
  app.synth();
}

/** The same number of constructs as plain cdktf elements. */
function bareSynth(n: number, outdir: string): void {
  const app = new App({ outdir });
  const stack = new TerraformStack(app, 'scale');
  new DockerProvider(stack, 'Docker');
  const image = new Image(stack, 'Image', { name: 'site:latest', buildAttribute: { context: './docker/site' } });
  new Container(stack, 'Container', { name: 'site', image: image.imageId, ports: [{ internal: 8080, external: 8080, ip: '127.0.0.1' }] });
  for (let i = 0; i < n; i++) {
    const local = new TerraformLocal(stack, `L${i}`, `app${i}`);
    new TerraformLocal(stack, `M${i}`, `group${i}`);
    new TerraformOutput(stack, `O${i}`, { value: local.expression });
  }
  app.synth();
}

export function runSynthScale(sizes: number[], reps: number): boolean {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-scale-'));
  const src = path.join(tmp, 'src');
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'wsgi.py'), '');
  const results = new Map<string, Sample[]>();
  const run = (kind: Kind, n: number, rep: number) => {
    const outdir = path.join(tmp, `${kind}-${n}-${rep}`);
    const s = measure(() => (kind === 'library' ? librarySynth(n, src, outdir) : bareSynth(n, outdir)));
    fs.rmSync(outdir, { recursive: true, force: true });
    const key = `${kind}:${n}`;
    results.set(key, [...(results.get(key) ?? []), s]);
  };
  try {
    // Warm-up: module loading and JIT are not synthesis cost.
    run('library', 10, -1); run('bare', 10, -1);
    results.clear();
    for (let rep = 0; rep < reps; rep++) {
      for (const n of sizes) {
        // Alternate which goes first so drift hits both sides alike.
        const order: Kind[] = rep % 2 === 0 ? ['library', 'bare'] : ['bare', 'library'];
        for (const kind of order) run(kind, n, rep);
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const stat = (kind: Kind, n: number) => {
    const xs = results.get(`${kind}:${n}`)!;
    return { ms: median(xs.map((x) => x.ms)), heapMb: median(xs.map((x) => x.heapMb)), rssMb: median(xs.map((x) => x.rssMb)) };
  };
  console.log(`synth scale (median of ${reps}, node ${process.version}, ${os.cpus().length} cpu, gc ${gc ? 'forced' : 'not exposed'})`);
  console.log('| apps | library ms | bare ms | ratio | library ms/app | bare ms/app | library heap MB | bare heap MB | library RSS +MB | bare RSS +MB |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const n of sizes) {
    const l = stat('library', n);
    const b = stat('bare', n);
    console.log(`| ${n} | ${l.ms.toFixed(1)} | ${b.ms.toFixed(1)} | ${(l.ms / b.ms).toFixed(2)} | ${(l.ms / n).toFixed(3)} | ${(b.ms / n).toFixed(3)} | ${l.heapMb.toFixed(1)} | ${b.heapMb.toFixed(1)} | ${l.rssMb.toFixed(1)} | ${b.rssMb.toFixed(1)} |`);
  }
  // Linear growth: time per app at the largest size within 2x of the next size down
  // (sizes below 100 are dominated by fixed cost and are not compared).
  const big = sizes.filter((n) => n >= 100);
  let linear = true;
  for (let i = 1; i < big.length; i++) {
    const perApp = (n: number) => stat('library', n).ms / n;
    const growth = perApp(big[i]) / perApp(big[i - 1]);
    const ok = growth <= 2;
    linear &&= ok;
    console.log(`per-app time ${big[i]} vs ${big[i - 1]} apps: x${growth.toFixed(2)} ${ok ? 'linear (<= 2)' : 'SUPERLINEAR (> 2)'}`);
  }
  return linear;
}

if (require.main === module) {
  const sizes = arg('sizes', '1,10,100,1000').split(',').map(Number);
  const ok = runSynthScale(sizes, Number(arg('reps', '3')));
  process.exitCode = ok ? 0 : 1;
}
