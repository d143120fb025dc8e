import * as fs from 'fs';
import * as path from 'path';
import type { ApacheSite } from '../apache-site';
import { DEFAULT_CONTAINER_PORT, IMAGE_BUNDLE_DIR, vmBundleDir } from './container';
import { provisionInputOf } from './provision-input';
import { Bundle, BundleFile, siteBundle, writeBundle } from '../provision/bundle';
import { imageBuildContext } from '../provision/dockerfile';
import { BUNDLE, RELEASE_PHASE, StartMode } from '../provision/recipe';
import { bundleTarball } from '../provision/tarball';

/** Marks a directory `render` wrote, so a second render may replace it and nothing else. */
export const RENDER_MARKER = '.cdktf-apache-wsgi-render';

/**
 * A site's hosting files without Terraform, for Ansible, Packer, a plain
 * `docker build` or a cloud that is not AWS: the Apache config, the VM bundle
 * (provision.sh, code, config), a #cloud-config that carries that bundle, and
 * the container image build context (a container host's own, or one on the
 * default container port). Paths are relative to the site's own output directory.
 */
export function renderSiteFiles(site: ApacheSite, containerContext?: Bundle): Bundle {
  const bundleDir = vmBundleDir(site.siteName);
  const vm = siteBundle(provisionInputOf(site), { port: site.port, startMode: StartMode.SYSTEMD, bundleDir });
  const files = new Map<string, BundleFile>();
  const text = (content: string, mode = 0o644): BundleFile => ({ content: Buffer.from(content), mode });
  files.set(RENDER_MARKER, text(`${site.node.path}\n`));
  files.set('apache/server.conf', vm.get(BUNDLE.serverConf)!);
  files.set('apache/site.conf', vm.get(BUNDLE.siteConf)!);
  for (const [rel, file] of vm) {
    files.set(`vm/${rel}`, file);
  }
  files.set('cloud-init.yaml', text(cloudConfig(bundleDir, bundleTarball(vm))));
  const image = containerContext
    ?? imageBuildContext(provisionInputOf(site), { port: DEFAULT_CONTAINER_PORT, bundleDir: IMAGE_BUNDLE_DIR, appsUseContainerRole: false });
  files.set('README.txt', text(readme(site, bundleDir, image.has(`bundle/${BUNDLE.phaseScript(RELEASE_PHASE)}`))));
  for (const [rel, file] of image) {
    files.set(`docker/${rel}`, file);
  }
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * A #cloud-config that unpacks the bundle (carried inline, base64) into its
 * directory and runs the recipe: the whole site in one document, for clouds or
 * image builders that take user data without an S3 bucket. JSON is valid YAML,
 * and rendering it from data keeps every value quoted.
 */
function cloudConfig(bundleDir: string, archive: Buffer): string {
  const archivePath = `${bundleDir}.tar.gz`;
  const doc = {
    write_files: [{ path: archivePath, owner: 'root:root', permissions: '0600', encoding: 'b64', content: archive.toString('base64') }],
    runcmd: [
      ['rm', '-rf', bundleDir],
      ['mkdir', '-p', '-m', '0755', bundleDir],
      // The archive is the library's own (plain files, relative names): nothing to sanitize.
      ['tar', '-xzf', archivePath, '-C', bundleDir, '--no-same-owner'],
      ['rm', '-f', archivePath],
      ['sh', path.posix.join(bundleDir, BUNDLE.script)],
    ],
  };
  return `#cloud-config\n${JSON.stringify(doc, undefined, 1)}\n`;
}

function readme(site: ApacheSite, bundleDir: string, releasePhase: boolean): string {
  return [
    `Hosting files of the ApacheSite ${site.node.path} (site "${site.siteName}", platform ${site.platform.id}),`,
    'written by `cdktf-apache-wsgi render`. Generated: edit the cdktf program, not these files.',
    '',
    'apache/          the rendered Apache config (server-wide part and virtual host).',
    `vm/              the provisioning bundle for a ${site.platform.id} machine: copy it to`,
    `                 ${bundleDir} and run \`sh ${bundleDir}/${BUNDLE.script}\` as root`,
    '                 (Ansible, Packer, or by hand). It installs the packages, builds the',
    '                 venvs, installs the code and config and starts Apache under systemd.',
    '                 AppSecrets are fetched by root with the machine\'s AWS credentials.',
    'cloud-init.yaml  the same bundle inline, unpacked and run at first boot by cloud-init',
    '                 (over EC2\'s 16 KB user data limit for most sites: EC2 hosts fetch',
    '                 the bundle from S3 instead).',
    'docker/          the image build context: `docker build docker/` (one layer per recipe phase;',
    '                 Apache on port 8080 unless the site has a container host with another).',
    ...(releasePhase ? [
      `                 Release commands: at each new image, before its container serves, run`,
      `                 \`sh ${IMAGE_BUNDLE_DIR}/${BUNDLE.phaseScript(RELEASE_PHASE)}\` once in a one-off container of it`,
      '                 (the same volumes and credentials); the container\'s start does not run them.',
    ] : []),
    '',
  ].join('\n');
}

/**
 * The site's output directory under outDir: its construct path (stack/.../site),
 * each segment reduced to safe file name characters, so two stacks' sites never
 * share a directory and no id can climb out of outDir.
 */
export function renderedSiteDir(site: ApacheSite, outDir: string): string {
  const segments = site.node.path.split('/').map((s) => s.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_'));
  return path.join(outDir, ...segments);
}

/**
 * Writes renderSiteFiles into renderedSiteDir and returns that directory.
 * A directory there is replaced only if a render wrote it (it holds the marker):
 * `--out` pointed at the wrong place must not delete anybody's files.
 */
export function writeRenderedSite(site: ApacheSite, outDir: string, containerContext?: Bundle): string {
  const dir = renderedSiteDir(site, outDir);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0 && !fs.existsSync(path.join(dir, RENDER_MARKER))) {
    throw new Error(`${site.node.path}: ${dir} exists and was not written by render; expected a new or empty directory (or one render wrote before)`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  writeBundle(renderSiteFiles(site, containerContext), dir);
  return dir;
}
