import { execFileSync } from 'child_process';
import * as path from 'path';

/**
 * Builds a minimal pure-Python wheel (module caw_marker with NAME = name) with
 * the standard library's zipfile: no package index and no build backend needed.
 */
export function buildMarkerWheel(dir: string, name: string, python: string): string {
  const file = path.join(dir, `caw_marker_${name}-1.0-py3-none-any.whl`);
  const script = `
import base64, hashlib, sys, zipfile
path, name = sys.argv[1], sys.argv[2]
dist = 'caw_marker_%s-1.0.dist-info' % name
files = {
    'caw_marker.py': 'NAME = %r\\n' % name,
    dist + '/METADATA': 'Metadata-Version: 2.1\\nName: caw-marker-%s\\nVersion: 1.0\\n' % name,
    dist + '/WHEEL': 'Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n',
}
record = []
for n, text in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b'=').decode()
    record.append('%s,sha256=%s,%d' % (n, digest, len(text.encode())))
record.append(dist + '/RECORD,,')
with zipfile.ZipFile(path, 'w') as z:
    for n, text in files.items():
        z.writestr(n, text)
    z.writestr(dist + '/RECORD', '\\n'.join(record) + '\\n')
`;
  execFileSync(python, ['-c', script, file, name]);
  return file;
}
