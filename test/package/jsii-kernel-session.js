// A Python program's session, made through the jsii kernel API that every language
// runtime drives: load the assemblies, create constructs with structs as plain maps,
// read enum-like statics and struct fields, catch a ValidationError, synthesize.
// Usage: node jsii-kernel-session.js <constructs.tgz> <cdktf.tgz> <assembly.tgz> <app dir> <outdir>
// Prints one JSON object. The provider packages are not loaded as assemblies (this
// session uses no host); NODE_PATH resolves their `require` from the checkout.
'use strict';
const fs = require('fs');
const { Kernel } = require('@jsii/kernel');

const [constructsTgz, cdktfTgz, assemblyTgz, appDir, outdir] = process.argv.slice(2);
const k = new Kernel(() => undefined);
k.load({ name: 'constructs', version: '10.4.5', tarball: constructsTgz });
k.load({ name: 'cdktf', version: '0.21.0', tarball: cdktfTgz });
const loaded = k.load({ name: 'cdktf-apache-wsgi', version: '0.1.0', tarball: assemblyTgz });

const FQN = 'cdktf-apache-wsgi';
const app = k.create({ fqn: 'cdktf.App', args: [{ outdir }] });
const stack = k.create({ fqn: 'cdktf.TerraformStack', args: [app, 'hello'] });
const platform = k.sget({ fqn: `${FQN}.Platform`, property: 'DEBIAN_12' }).value;
const os = k.get({ objref: platform, property: 'os' }).value;
const site = k.create({ fqn: `${FQN}.ApacheSite`, args: [stack, 'Site', { platform, serverName: 'hello.example.com' }] });
const env = k.create({ fqn: `${FQN}.VirtualEnv`, args: [stack, 'Env', { requirementsFile: `${appDir}/requirements.txt` }] });
const group = k.create({ fqn: `${FQN}.DaemonGroup`, args: [site, 'Hello', { virtualEnv: env, processes: 2, threads: 5 }] });
k.create({ fqn: `${FQN}.WsgiApp`, args: [site, 'HelloApp', { mountPath: '/', source: appDir, scriptFile: 'wsgi.py', daemonGroup: group }] });
let validationError;
try {
  k.create({ fqn: `${FQN}.DaemonGroup`, args: [site, 'Bad', { virtualEnv: env, threads: 0 }] });
} catch (e) {
  validationError = e.message.split('\n')[0];
}
const readTimeout = k.get({ objref: site, property: 'requestReadTimeout' }).value;
k.invoke({ objref: app, method: 'synth', args: [] });

console.log(JSON.stringify({
  types: loaded.types,
  osId: k.get({ objref: os, property: 'id' }).value,
  platforms: k.sget({ fqn: `${FQN}.Platform`, property: 'ALL' }).value.length,
  headerMaxSec: k.get({ objref: readTimeout, property: 'headerMaxSec' }).value,
  daemonGroups: k.get({ objref: site, property: 'daemonGroups' }).value.length,
  validationError,
  siteConf: fs.readFileSync(`${outdir}/stacks/hello/apache/site/site.conf`, 'utf8'),
}));
