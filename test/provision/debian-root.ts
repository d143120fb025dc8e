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

/**
 * A fresh Debian 12 root in `dir` (minbase, or another of the cached roots), with /proc
 * mounted and services kept from starting on install.
 */
export function unpackDebianRoot(dir: string, tarball: string = debianRootTarball()): void {
  execFileSync('tar', ['-C', dir, '-xf', tarball]);
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

/** Cached Debian 12 root that boots under systemd-nspawn like an EC2 instance: systemd, dbus, cloud-init, locales. */
const BOOTABLE_CACHE = process.env.CAW_BOOTABLE_ROOTFS_CACHE ?? '/var/cache/cdktf-apache-wsgi/bookworm-cloud-init.tar';

/**
 * The bootable root's tarball, built once from the minbase root (a few minutes).
 * A lock (flock) keeps parallel test files from building it twice.
 */
export function bootableDebianRootTarball(): string {
  fs.mkdirSync(path.dirname(BOOTABLE_CACHE), { recursive: true });
  const base = debianRootTarball();
  const dir = `${BOOTABLE_CACHE}.d`;
  const script = `set -eu
[ -f ${BOOTABLE_CACHE} ] && exit 0
rm -rf ${dir}; mkdir -p ${dir}
tar -C ${dir} -xf ${base}
cp /etc/resolv.conf ${dir}/etc/resolv.conf
printf '#!/bin/sh\\nexit 101\\n' > ${dir}/usr/sbin/policy-rc.d; chmod 755 ${dir}/usr/sbin/policy-rc.d
mount -t proc proc ${dir}/proc
trap 'umount -l ${dir}/proc || true' EXIT
chroot ${dir} sh -c 'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends systemd systemd-sysv dbus cloud-init locales python3 >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*'
umount -l ${dir}/proc; trap - EXIT
# Booted like a VM: nothing keeps daemons from starting, no resolv.conf of this machine.
rm -f ${dir}/usr/sbin/policy-rc.d ${dir}/etc/resolv.conf
echo 'en_US.UTF-8 UTF-8' > ${dir}/etc/locale.gen; chroot ${dir} locale-gen >/dev/null
tar -C ${dir} -cf ${BOOTABLE_CACHE}.tmp .
mv ${BOOTABLE_CACHE}.tmp ${BOOTABLE_CACHE}
rm -rf ${dir}
`;
  execFileSync('flock', [`${BOOTABLE_CACHE}.lock`, 'sh', '-c', script], { stdio: 'pipe', timeout: 900_000 });
  return BOOTABLE_CACHE;
}
