import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** The Apache + mod_wsgi installed on this machine, as the local runner uses it. */
export interface LocalApache {
  readonly binary: string;
  readonly modulesDir: string;
  readonly modWsgiPath: string;
  /** Python X.Y that mod_wsgi.so is linked against. */
  readonly pythonVersion: string;
  /** The interpreter of that version: every local venv is built with it. */
  readonly pythonBinary: string;
  readonly mimeTypesFile?: string;
}

/** Apache or mod_wsgi is not installed; the message says what to install. */
export class LocalApacheMissingError extends Error {
  constructor(what: string) {
    super(`${what}. Install Apache and mod_wsgi first: \`apt-get install apache2 libapache2-mod-wsgi-py3\` (Debian/Ubuntu) or \`dnf install httpd python3-mod_wsgi\` (RHEL family)`);
    this.name = 'LocalApacheMissingError';
  }
}

const CANDIDATES = [
  { binary: 'apache2', modulesDirs: ['/usr/lib/apache2/modules'] },
  { binary: 'httpd', modulesDirs: ['/usr/lib64/httpd/modules', '/usr/lib/httpd/modules', '/usr/libexec/apache2'] },
];
const SEARCH_PATH = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', '/sbin', '/bin'];

/**
 * Finds Apache, mod_wsgi and the Python mod_wsgi links. The Python comes from
 * `ldd mod_wsgi.so`, never from the first python3 on PATH: a venv of any other
 * version loads an empty site-packages without an error.
 */
export function detectLocalApache(searchPath: readonly string[] = [...(process.env.PATH ?? '').split(':'), ...SEARCH_PATH]): LocalApache {
  for (const candidate of CANDIDATES) {
    const binary = searchPath.map((dir) => path.join(dir, candidate.binary)).find(isExecutable);
    if (!binary) {
      continue;
    }
    const modulesDir = candidate.modulesDirs.find((d) => fs.existsSync(path.join(d, 'mod_mpm_event.so')));
    if (!modulesDir) {
      throw new LocalApacheMissingError(`${binary} found but none of its module directories (${candidate.modulesDirs.join(', ')})`);
    }
    const modWsgiPath = path.join(modulesDir, 'mod_wsgi.so');
    if (!fs.existsSync(modWsgiPath)) {
      throw new LocalApacheMissingError(`mod_wsgi is not installed: ${modWsgiPath} does not exist`);
    }
    const pythonVersion = linkedPythonVersion(modWsgiPath);
    const pythonBinary = ['/usr/bin', '/usr/local/bin'].map((d) => path.join(d, `python${pythonVersion}`)).find(isExecutable);
    if (!pythonBinary) {
      throw new LocalApacheMissingError(`mod_wsgi links Python ${pythonVersion} but no python${pythonVersion} interpreter was found (install python${pythonVersion} and python${pythonVersion}-venv)`);
    }
    return { binary, modulesDir, modWsgiPath, pythonVersion, pythonBinary, mimeTypesFile: fs.existsSync('/etc/mime.types') ? '/etc/mime.types' : undefined };
  }
  throw new LocalApacheMissingError('Apache httpd was not found (looked for apache2 and httpd)');
}

/** Python X.Y of the libpython a module is linked against. */
export function linkedPythonVersion(modulePath: string): string {
  const ldd = execFileSync('ldd', [modulePath], { encoding: 'utf8' });
  const match = /libpython(3\.\d+)/.exec(ldd);
  if (!match) {
    throw new LocalApacheMissingError(`${modulePath} is not linked against a libpython3.X shared library (ldd found none)`);
  }
  return match[1];
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
