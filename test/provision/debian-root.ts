import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** Cached Debian 12 minbase root filesystem, made once with debootstrap (about a minute). */
const CACHE = process.env.CAW_ROOTFS_CACHE ?? '/var/cache/cdktf-apache-wsgi/bookworm-minbase.tar';
const MIRROR = 'http://deb.debian.org/debian';

export function debianRootTarball(): string {
  if (!fs.existsSync(CACHE)) {
    const dir = `${CACHE}.d`;
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(CACHE), { recursive: true });
    execFileSync('debootstrap', ['--variant=minbase', 'bookworm', dir, MIRROR], { stdio: 'pipe' });
    execFileSync('tar', ['-C', dir, '-cf', `${CACHE}.tmp`, '.']);
    fs.renameSync(`${CACHE}.tmp`, CACHE);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return CACHE;
}

/** A fresh Debian 12 root in `dir`, with /proc mounted and services kept from starting on install. */
export function unpackDebianRoot(dir: string): void {
  execFileSync('tar', ['-C', dir, '-xf', debianRootTarball()]);
  fs.copyFileSync('/etc/resolv.conf', path.join(dir, 'etc', 'resolv.conf'));
  // Debian's convention for chroots: maintainer scripts must not start daemons.
  fs.writeFileSync(path.join(dir, 'usr', 'sbin', 'policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  execFileSync('mount', ['-t', 'proc', 'proc', path.join(dir, 'proc')]);
}

export function removeDebianRoot(dir: string): void {
  try {
    execFileSync('umount', ['-l', path.join(dir, 'proc')], { stdio: 'ignore' });
  } catch {
    // not mounted
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
