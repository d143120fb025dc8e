import * as crypto from 'crypto';
import * as zlib from 'zlib';
import { Bundle } from './bundle';

/**
 * A bundle as a gzipped ustar archive with fixed owner, times and order, so
 * the same bundle always gives the same bytes and so the same SHA-256: the
 * object's key in S3 and what the bootstrap verifies.
 */
export function bundleTarball(bundle: Bundle): Buffer {
  const blocks: Buffer[] = [];
  for (const [rel, file] of bundle) {
    blocks.push(header(rel, file.mode, file.content.length), file.content, Buffer.alloc((512 - (file.content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  // gzip's header time stays 0 (zlib's default): no timestamp in the bytes.
  return zlib.gzipSync(Buffer.concat(blocks), { level: 9 });
}

export function sha256Hex(data: Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

function header(rel: string, mode: number, size: number): Buffer {
  const h = Buffer.alloc(512);
  let name = rel;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    // ustar splits long paths at a '/' into prefix (155) and name (100).
    const cut = rel.lastIndexOf('/', rel.length - 1);
    prefix = rel.slice(0, cut);
    name = rel.slice(cut + 1);
    if (cut < 0 || Buffer.byteLength(prefix) > 155 || Buffer.byteLength(name) > 100) {
      throw new Error(`bundle path ${JSON.stringify(rel)} is too long for a ustar archive (155 + 100 bytes)`);
    }
  }
  const put = (text: string, offset: number, length: number) => h.write(text, offset, length, 'utf8');
  const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, '0');
  put(name, 0, 100);
  put(`${octal(mode & 0o7777, 8)}\0`, 100, 8);
  put(`${octal(0, 8)}\0`, 108, 8);
  put(`${octal(0, 8)}\0`, 116, 8);
  put(`${octal(size, 12)}\0`, 124, 12);
  put(`${octal(0, 12)}\0`, 136, 12);
  put('        ', 148, 8);
  put('0', 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  put('root', 265, 32);
  put('root', 297, 32);
  put(prefix, 345, 155);
  let sum = 0;
  for (const byte of h) {
    sum += byte;
  }
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return h;
}
