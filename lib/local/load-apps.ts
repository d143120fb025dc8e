import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdktf';
import { IConstruct } from 'constructs';
import { ApacheSite } from '../apache-site';
import { registerTsNode } from './ts-node';

/**
 * Loads a user's cdktf program (e.g. main.ts, which builds an App and calls
 * app.synth()) and returns the Apps it built, without synthesizing them.
 */
export function loadApps(modulePath: string): App[] {
  const file = path.resolve(modulePath);
  if (!fs.existsSync(file)) {
    throw new Error(`${file} does not exist`);
  }
  // Unless a TypeScript loader is already installed (ts-node running the CLI, jest).
  if (/\.[cm]?ts$/.test(file) && !require.extensions['.ts']) {
    registerTsNode(file);
  }
  const apps: App[] = [];
  const synth = App.prototype.synth;
  App.prototype.synth = function capture(this: App) {
    apps.push(this);
  };
  // new App() creates its output directory; nothing is synthesized, so keep it out
  // of the project (which a non-root user may not be allowed to write).
  const outdir = process.env.CDKTF_OUTDIR;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-load-'));
  process.env.CDKTF_OUTDIR = scratch;
  try {
    const exported = require(file);
    for (const value of Object.values(exported ?? {})) {
      if (value instanceof App && !apps.includes(value)) {
        apps.push(value);
      }
    }
  } finally {
    App.prototype.synth = synth;
    if (outdir === undefined) {
      delete process.env.CDKTF_OUTDIR;
    } else {
      process.env.CDKTF_OUTDIR = outdir;
    }
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return apps;
}

/** Every ApacheSite under the given constructs, optionally filtered by construct path. */
export function findSites(roots: readonly IConstruct[], pathFilter?: string): ApacheSite[] {
  const sites = roots.flatMap((r) => r.node.findAll()).filter((c): c is ApacheSite => c instanceof ApacheSite);
  return pathFilter ? sites.filter((s) => s.node.path === pathFilter || s.node.path.startsWith(`${pathFilter}/`)) : sites;
}
