#!/usr/bin/env node
// Writes dist/cdktn/: the compiled library (js + d.ts) with its imports of CDK for
// Terraform rewritten to CDK Terrain, published as `cdktf-apache-wsgi/cdktn`
// (+ `/cdktn/aws`, `/cdktn/docker`, `/cdktn/provider-docker`). CDK Terrain is a renamed
// fork: same classes, same module layout (`cdktf/lib/...` -> `cdktn/lib/...`), so only
// the package names change.
// There is no @cdktn/provider-docker on npm, and @cdktf/provider-docker's resources
// extend cdktf's classes, which a cdktn stack cannot synthesize. Its bindings are
// generated code that imports only `cdktf` and `constructs`, so the modules DockerHost
// needs are copied into dist/cdktn/provider-docker/ with the same rename (MPL-2.0,
// LICENSE beside them) and the cdktn DockerHost requires those copies.
'use strict';
const fs = require('fs');
const path = require('path');

const RENAMES = { 'cdktf': 'cdktn', '@cdktf/provider-aws': '@cdktn/provider-aws' };
// Module specifiers only: require("x"), from "x", import("x").
const SPECIFIER = /((?:require\(|from |import\()\s*)(["'])(cdktf|@cdktf\/provider-aws)((?:\/[^"']*)?)\2/g;
const DOCKER_SPECIFIER = /((?:require\(|from |import\()\s*)(["'])@cdktf\/provider-docker((?:\/[^"']*)?)\2/g;
// Every module specifier, to check what a written file loads (also `import "x"`, which is never renamed).
const ANY_SPECIFIER = /(?:require\(|from |import\(|import )\s*(["'])([^"']+)\1/g;

// The @cdktf/provider-docker modules copied: the resources DockerHost creates and the
// provider a user configures (each imports `cdktf` and `constructs` only, checked below).
const DOCKER_PACKAGE = '@cdktf/provider-docker';
const DOCKER_MODULES = ['provider', 'container', 'image', 'volume'];
const DOCKER_DIR = 'provider-docker';

function rewrite(text) {
  return text.replace(SPECIFIER, (_m, lead, q, pkg, sub) => `${lead}${q}${RENAMES[pkg]}${sub}${q}`);
}

/** `@cdktf/provider-docker/lib/<module>` in a file at `from` -> the relative path of its copy. */
function rewriteDocker(text, from, out) {
  return text.replace(DOCKER_SPECIFIER, (_m, lead, q, sub) => {
    const mod = /^\/lib\/([a-z-]+)$/.exec(sub)?.[1];
    if (!DOCKER_MODULES.includes(mod)) {
      throw new Error(`${from}: imports ${DOCKER_PACKAGE}${sub}, which is not copied for CDK Terrain (copied: lib/{${DOCKER_MODULES}})`);
    }
    const rel = path.relative(path.dirname(from), path.join(out, DOCKER_DIR, mod)).split(path.sep).join('/');
    return `${lead}${q}${rel.startsWith('.') ? rel : `./${rel}`}${q}`;
  });
}

/** Fails if `text` (written to `file`) loads CDK for Terraform or a module outside `allowed`. */
function checkSpecifiers(file, text, allowed) {
  for (const [, , spec] of text.matchAll(ANY_SPECIFIER)) {
    // A specifier a pattern missed would silently load CDK for Terraform.
    if (/^(cdktf|@cdktf\/)/.test(spec) || (allowed && !allowed(spec))) {
      throw new Error(`${file}: import not rewritten for CDK Terrain: ${spec}`);
    }
  }
}

/** Copies DOCKER_MODULES of @cdktf/provider-docker into out/provider-docker/ with cdktf renamed to cdktn. */
function copyDockerBindings(out) {
  const pkgDir = path.dirname(require.resolve(`${DOCKER_PACKAGE}/package.json`, { paths: [process.cwd()] }));
  const { version } = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const dir = path.join(out, DOCKER_DIR);
  let files = 0;
  for (const mod of DOCKER_MODULES) {
    for (const name of ['index.js', 'index.d.ts']) {
      const src = path.join(pkgDir, 'lib', mod, name);
      const dest = path.join(dir, mod, name);
      const note = `// ${DOCKER_PACKAGE} ${version} lib/${mod}/${name} (MPL-2.0, ../LICENSE; source: `
        + 'https://github.com/cdktf/cdktf-provider-docker), copied with its `cdktf` imports renamed to `cdktn` '
        + 'and its source map left out.\n';
      // The inline source map points at upstream TypeScript that is not shipped.
      const text = note + rewrite(fs.readFileSync(src, 'utf8').replace(/^\/\/# sourceMappingURL=.*\n?/m, ''));
      // Generated bindings load the CDK and constructs only; anything else (a cdktn
      // subpath, a provider) would need copying too.
      checkSpecifiers(src, text, (spec) => spec === 'cdktn' || spec === 'constructs');
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.writeFileSync(dest, text);
      files++;
    }
  }
  fs.copyFileSync(path.join(pkgDir, 'LICENSE'), path.join(dir, 'LICENSE'));
  // The public entry `cdktf-apache-wsgi/cdktn/provider-docker`: every copied module's exports.
  const entry = DOCKER_MODULES.map((mod) => `export * from './${DOCKER_DIR}/${mod}';\n`).join('');
  const ts = require('typescript');
  const js = ts.transpileModule(entry, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  fs.writeFileSync(path.join(out, `${DOCKER_DIR}.js`), js);
  fs.writeFileSync(path.join(out, `${DOCKER_DIR}.d.ts`), entry);
  return files + 2;
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
      const text = rewriteDocker(rewrite(fs.readFileSync(src, 'utf8')), dest, out);
      checkSpecifiers(src, text);
      fs.writeFileSync(dest, text);
      files++;
    }
  };
  walk(dist);
  if (files === 0) throw new Error(`${dist}: no compiled files (run the compile task first)`);
  const docker = copyDockerBindings(out);
  console.error(`cdktn flavour: ${files} files + ${docker} of ${DOCKER_PACKAGE} in ${path.relative(process.cwd(), out)}`);
}

if (require.main === module) main();
module.exports = { rewrite };
