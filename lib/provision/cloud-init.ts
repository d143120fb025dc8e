import * as zlib from 'zlib';
import { Bundle } from './bundle';
import { BUNDLE } from './recipe';

/** EC2 refuses user data over 16 KB. */
export const USER_DATA_LIMIT_BYTES = 16_384;

/**
 * A #cloud-config document that writes the bundle (gzip+base64 per file) and
 * runs the same recipe script as every other host. JSON is valid YAML, and
 * rendering it from data keeps every value quoted.
 */
export function cloudConfig(bundle: Bundle, bundleDir: string): string {
  const writeFiles = [...bundle].map(([rel, file]) => ({
    path: `${bundleDir}/${rel}`,
    owner: 'root:root',
    permissions: `0${file.mode.toString(8)}`,
    encoding: 'gz+b64',
    content: zlib.gzipSync(file.content, { level: 9 }).toString('base64'),
  }));
  const doc = {
    write_files: writeFiles,
    runcmd: [['sh', `${bundleDir}/${BUNDLE.script}`]],
  };
  return `#cloud-config\n${JSON.stringify(doc, undefined, 1)}\n`;
}
