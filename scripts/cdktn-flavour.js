#!/usr/bin/env node
// Writes dist/cdktn/: the compiled library (js + d.ts) with its imports of CDK for
// Terraform rewritten to CDK Terrain, published as `cdktf-apache-wsgi/cdktn`
// (+ `/cdktn/aws`, `/cdktn/docker`). CDK Terrain is a renamed fork: same classes,
// same module layout (`cdktf/lib/...` -> `cdktn/lib/...`), so only the package
// names change. There is no @cdktn/provider-docker on npm, and @cdktf/provider-docker's
// resources fail inside a cdktn stack (`e._resetResolveDiscoveredProviderFeatureUsage
// is not a function` at synth), so `cdktn/docker` is a module that says so on load.
'use strict';
const fs = require('fs');
const path = require('path');

const RENAMES = { 'cdktf': 'cdktn', '@cdktf/provider-aws': '@cdktn/provider-aws' };
// Module specifiers only: require("x"), from "x", import("x").
const SPECIFIER = /((?:require\(|from |import\()\s*)(["'])(cdktf|@cdktf\/provider-aws)((?:\/[^"']*)?)\2/g;

const DOCKER_UNAVAILABLE = 'throw new Error("cdktf-apache-wsgi/cdktn/docker: DockerHost is not available with CDK Terrain yet: '
  + 'there is no @cdktn/provider-docker package and @cdktf/provider-docker resources do not synthesize in a cdktn stack. '
  + 'Use cdktf-apache-wsgi/docker with cdktf 0.21, or cdktf-apache-wsgi/cdktn/aws.");';

function rewrite(text) {
  return text.replace(SPECIFIER, (_m, lead, q, pkg, sub) => `${lead}${q}${RENAMES[pkg]}${sub}${q}`);
}

function main() {
  const dist = path.resolve(process.argv[2] || 'dist');
  const out = path.join(dist, 'cdktn');
  fs.rmSync(out, { recursive: true, force: true });
  let files = 0;
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const src = path.join(dir, entry.name);
      if (src === out) continue;
      if (entry.isDirectory()) { walk(src); continue; }
      if (!/\.(js|d\.ts)$/.test(entry.name)) continue;
      const dest = path.join(out, path.relative(dist, src));
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      const text = rewrite(fs.readFileSync(src, 'utf8'));
      // A specifier the pattern missed would silently load CDK for Terraform.
      const left = /(?:require\(|from |import\()\s*["'](?:cdktf|@cdktf\/provider-aws)(?:\/[^"']*)?["']/.exec(text);
      if (left) throw new Error(`${src}: import not rewritten for CDK Terrain: ${left[0]}`);
      fs.writeFileSync(dest, text);
      files++;
    }
  };
  walk(dist);
  for (const f of ['docker-host.js', 'docker-host.d.ts']) fs.rmSync(path.join(out, f));
  fs.writeFileSync(path.join(out, 'docker.js'), `"use strict";\n${DOCKER_UNAVAILABLE}\n`);
  fs.writeFileSync(path.join(out, 'docker.d.ts'), 'export {};\n');
  if (files === 0) throw new Error(`${dist}: no compiled files (run the compile task first)`);
  console.error(`cdktn flavour: ${files} files in ${path.relative(process.cwd(), out)}`);
}

if (require.main === module) main();
module.exports = { rewrite };
