import { ValidationError } from '../errors';
import { compareVersions, isPythonMinorVersion } from './version';
import { describeValue } from '../private/validate';

/** Linux distribution families differ in package names, paths and tools. */
export enum OsFamily {
  DEBIAN = 'debian',
  RHEL = 'rhel',
}

/** How an OS installs packages: argv prefixes the recipe runs. */
export interface PackageManager {
  /** Refreshes the package lists before installing. @default - none needed */
  readonly refresh?: string[];
  /** Installs packages non-interactively; the package names are appended. */
  readonly install: string[];
  /** Removes caches the install left behind (smaller images). @default - none */
  readonly clean?: string[];
}

/** Owner and name pattern of an OS's official AMI, for an `aws_ami` lookup, and its root device name (launch templates map it). */
export interface AmiLookup {
  readonly owner: string;
  readonly namePattern: string;
  readonly rootDeviceName: string;
}

/** The nftables package and its command. */
export interface NftablesPackage {
  readonly package: string;
  readonly binary: string;
}

/** An operating system release: what it ships and where it puts things. */
export interface OsRelease {
  readonly id: string;
  readonly displayName: string;
  readonly family: OsFamily;
  /** Container base image, pinned to a release tag. */
  readonly dockerImage: string;
  /** Owner and name pattern of the official AMI, for an `aws_ami` lookup, and its root device name (launch templates map it). */
  readonly ami: AmiLookup;
  /** Python minor versions the distro packages, each with its interpreter path. */
  readonly pythons: Record<string, string>;
  /** Packages that give each Python a working `-m venv`. */
  readonly pythonPackages: Record<string, string[]>;
  /** Packages needed to compile C extensions (mod_wsgi by pip) against each Python. */
  readonly pythonDevPackages: Record<string, string[]>;
  readonly packageManager: PackageManager;
  /** The no-login shell for system users. */
  readonly noLoginShell: string;
  /** The nftables package and its command (per-user firewall rules, e.g. keeping apps off the instance metadata service). */
  readonly nftables: NftablesPackage;
}

const NFTABLES = { package: 'nftables', binary: '/usr/sbin/nft' };

const APT: PackageManager = {
  refresh: ['apt-get', 'update'],
  install: ['apt-get', 'install', '-y', '--no-install-recommends'],
  clean: ['sh', '-c', 'apt-get clean && rm -rf /var/lib/apt/lists/*'],
};
const DNF: PackageManager = {
  install: ['dnf', 'install', '-y'],
  clean: ['dnf', 'clean', 'all'],
};

/** Debian and Ubuntu name a Python's packages after its version. */
function debianPythons(...versions: string[]) {
  return {
    pythons: Object.fromEntries(versions.map((v) => [v, `/usr/bin/python${v}`])),
    pythonPackages: Object.fromEntries(versions.map((v) => [v, [`python${v}`, `python${v}-venv`]])),
    pythonDevPackages: Object.fromEntries(versions.map((v) => [v, [`python${v}-dev`, 'gcc']])),
    packageManager: APT,
    noLoginShell: '/usr/sbin/nologin',
    nftables: NFTABLES,
  };
}

/** The RHEL family packages its default Python 3.9 as python3, the others as python3.X. */
function rhelPythons(...versions: string[]) {
  const name = (v: string) => (v === '3.9' ? 'python3' : `python${v}`);
  return {
    pythons: Object.fromEntries(versions.map((v) => [v, `/usr/bin/python${v}`])),
    pythonPackages: Object.fromEntries(versions.map((v) => [v, [name(v), `${name(v)}-pip`]])),
    pythonDevPackages: Object.fromEntries(versions.map((v) => [v, [`${name(v)}-devel`, 'gcc']])),
    packageManager: DNF,
    noLoginShell: '/sbin/nologin',
    nftables: NFTABLES,
  };
}

/** How mod_wsgi gets onto the machine. */
export enum ModWsgiSource {
  /** The distribution's own package, linked against its default Python. */
  DISTRO_PACKAGE = 'distro-package',
  /** `pip install mod_wsgi` into a venv of the chosen Python, loaded via `mod_wsgi-express module-config`. */
  PIP = 'pip',
}

/** Distro-specific Apache layout: every path, tool and convention the recipe needs. */
export interface ApacheLayout {
  readonly package: string;
  readonly binary: string;
  readonly ctl: string;
  /** systemd unit name. */
  readonly service: string;
  /** The unprivileged user Apache's own workers run as. */
  readonly user: string;
  readonly modulesDir: string;
  /** Directory the site's server-wide config file is installed to. */
  readonly serverConfDir: string;
  /** Directory the site's virtual host file is installed to. */
  readonly siteConfDir: string;
  /** Command (argv prefix) enabling modules by name. @default - none: the distro loads them all */
  readonly enableModules?: string[];
  /** Command (argv prefix) enabling a config file of serverConfDir by name (without .conf). @default - none: every file there is loaded */
  readonly enableConf?: string[];
  /** Command (argv prefix) enabling a site file of siteConfDir by name (without .conf). @default - none: every file there is loaded */
  readonly enableSite?: string[];
  /** Commands that take the distro's default site or welcome page out of service; failures are ignored. */
  readonly defaultSiteOff: string[][];
  /** File holding the `Listen` directives. */
  readonly listenFile: string;
  /** true: the file holds only Listen lines and is rewritten whole; false: its Listen line is edited in place. */
  readonly listenFileOwned: boolean;
  /** Where `mod_wsgi-express module-config` output goes for a pip-built mod_wsgi. */
  readonly modWsgiLoadConf: string;
  readonly logDir: string;
  /** WSGISocketPrefix: the directory must exist and be writable by Apache's parent. */
  readonly socketPrefix: string;
  /** Apache packages needed to compile mod_wsgi with pip. */
  readonly devPackages: string[];
  /**
   * Apache in the foreground as PID 1 of a container, so `docker stop` (SIGWINCH:
   * graceful stop) reaches it; a shell wrapper such as apache2ctl would swallow it.
   */
  readonly foregroundCommand: string[];
  /** What HTTPS on the host needs. @default - none: the catalog does not cover HTTPS on this distro yet */
  readonly tls?: ApacheTlsLayout;
}

/** A distro's facts for HTTPS served by Apache itself. */
export interface ApacheTlsLayout {
  /** Packages beyond Apache's own (mod_ssl and mod_md ship in Debian's apache2). */
  readonly packages: string[];
  /** Modules to enable by name: TLS, the ACME client, the HTTP->HTTPS redirect. */
  readonly modules: string[];
  /** mod_md's store: ACME account, keys, certificates; `staging/` holds renewals not yet active. */
  readonly mdStoreDir: string;
}

const DEBIAN_APACHE: ApacheLayout = {
  package: 'apache2',
  binary: 'apache2',
  ctl: 'apache2ctl',
  service: 'apache2',
  user: 'www-data',
  modulesDir: '/usr/lib/apache2/modules',
  serverConfDir: '/etc/apache2/conf-available',
  siteConfDir: '/etc/apache2/sites-available',
  enableModules: ['a2enmod', '-q'],
  enableConf: ['a2enconf', '-q'],
  enableSite: ['a2ensite', '-q'],
  defaultSiteOff: [['a2dissite', '-q', '000-default']],
  listenFile: '/etc/apache2/ports.conf',
  listenFileOwned: true,
  modWsgiLoadConf: '/etc/apache2/mods-available/wsgi.load',
  logDir: '/var/log/apache2',
  socketPrefix: '/var/run/apache2/wsgi',
  devPackages: ['apache2-dev'],
  // Debian's apache2 reads its run-time paths from envvars, which apache2ctl would source.
  foregroundCommand: ['/bin/sh', '-c', '. /etc/apache2/envvars && mkdir -p "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR" && exec /usr/sbin/apache2 -D FOREGROUND'],
  // a2enmod ssl also enables socache_shmcb, which Debian's ssl.conf uses for the session cache.
  // mod_md's default store is "md" under ServerRoot (/etc/apache2); written out so the recipe knows it.
  tls: { packages: [], modules: ['ssl', 'md', 'rewrite'], mdStoreDir: '/etc/apache2/md' },
};

const RHEL_APACHE: ApacheLayout = {
  package: 'httpd',
  binary: 'httpd',
  ctl: 'apachectl',
  service: 'httpd',
  user: 'apache',
  modulesDir: '/usr/lib64/httpd/modules',
  serverConfDir: '/etc/httpd/conf.d',
  siteConfDir: '/etc/httpd/conf.d',
  defaultSiteOff: [['rm', '-f', '/etc/httpd/conf.d/welcome.conf']],
  listenFile: '/etc/httpd/conf/httpd.conf',
  listenFileOwned: false,
  modWsgiLoadConf: '/etc/httpd/conf.modules.d/10-wsgi.conf',
  logDir: '/var/log/httpd',
  socketPrefix: '/run/httpd/wsgi',
  devPackages: ['httpd-devel', 'gcc', 'redhat-rpm-config'],
  foregroundCommand: ['/usr/sbin/httpd', '-D', 'FOREGROUND'],
};

/** Operating system releases known to the catalog. */
export class OperatingSystem {
  public static readonly DEBIAN_12: OsRelease = {
    id: 'debian-12', displayName: 'Debian 12 (bookworm)', family: OsFamily.DEBIAN,
    dockerImage: 'debian:12-slim',
    ami: { owner: '136693071363', namePattern: 'debian-12-amd64-*', rootDeviceName: '/dev/xvda' },
    ...debianPythons('3.11'),
  };
  public static readonly DEBIAN_13: OsRelease = {
    id: 'debian-13', displayName: 'Debian 13 (trixie)', family: OsFamily.DEBIAN,
    dockerImage: 'debian:13-slim',
    ami: { owner: '136693071363', namePattern: 'debian-13-amd64-*', rootDeviceName: '/dev/xvda' },
    ...debianPythons('3.13'),
  };
  public static readonly UBUNTU_22_04: OsRelease = {
    id: 'ubuntu-22.04', displayName: 'Ubuntu 22.04 LTS', family: OsFamily.DEBIAN,
    dockerImage: 'ubuntu:22.04',
    ami: { owner: '099720109477', namePattern: 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*', rootDeviceName: '/dev/sda1' },
    ...debianPythons('3.10'),
  };
  public static readonly UBUNTU_24_04: OsRelease = {
    id: 'ubuntu-24.04', displayName: 'Ubuntu 24.04 LTS', family: OsFamily.DEBIAN,
    dockerImage: 'ubuntu:24.04',
    ami: { owner: '099720109477', namePattern: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*', rootDeviceName: '/dev/sda1' },
    ...debianPythons('3.12'),
  };
  public static readonly RHEL_9: OsRelease = {
    id: 'rhel-9', displayName: 'RHEL 9 family (Rocky, Alma)', family: OsFamily.RHEL,
    dockerImage: 'rockylinux:9',
    ami: { owner: '309956199498', namePattern: 'RHEL-9.*_HVM-*-x86_64-*', rootDeviceName: '/dev/sda1' },
    ...rhelPythons('3.9', '3.11', '3.12'),
  };
  public static readonly AMAZON_LINUX_2023: OsRelease = {
    id: 'al2023', displayName: 'Amazon Linux 2023', family: OsFamily.RHEL,
    dockerImage: 'amazonlinux:2023',
    ami: { owner: '137112412989', namePattern: 'al2023-ami-2023.*-x86_64', rootDeviceName: '/dev/xvda' },
    ...rhelPythons('3.9', '3.11'),
  };
}

/** Options for a platform whose mod_wsgi is built with pip against a chosen Python. */
export interface PipModWsgiOptions {
  readonly os: OsRelease;
  /** Python X.Y to build mod_wsgi and every venv with; must be one the OS packages. */
  readonly pythonVersion: string;
  /**
   * mod_wsgi release to install from the package index.
   * @default '5.0.2'
   */
  readonly modWsgiVersion?: string;
}

/**
 * Where a site runs: OS, Apache, the mod_wsgi build and the one Python it is
 * linked against. Every venv of the site must be built with that Python.
 */
export class Platform {
  public static readonly DEBIAN_12 = new Platform(OperatingSystem.DEBIAN_12, DEBIAN_APACHE, ModWsgiSource.DISTRO_PACKAGE, 'libapache2-mod-wsgi-py3', '4.9.4', '3.11');
  public static readonly DEBIAN_13 = new Platform(OperatingSystem.DEBIAN_13, DEBIAN_APACHE, ModWsgiSource.DISTRO_PACKAGE, 'libapache2-mod-wsgi-py3', '5.0.2', '3.13');
  public static readonly UBUNTU_22_04 = new Platform(OperatingSystem.UBUNTU_22_04, DEBIAN_APACHE, ModWsgiSource.DISTRO_PACKAGE, 'libapache2-mod-wsgi-py3', '4.9.0', '3.10');
  public static readonly UBUNTU_24_04 = new Platform(OperatingSystem.UBUNTU_24_04, DEBIAN_APACHE, ModWsgiSource.DISTRO_PACKAGE, 'libapache2-mod-wsgi-py3', '5.0.0', '3.12');
  /** RHEL 9 family with the default python3-mod_wsgi (Python 3.9). */
  public static readonly RHEL_9 = new Platform(OperatingSystem.RHEL_9, RHEL_APACHE, ModWsgiSource.DISTRO_PACKAGE, 'python3-mod_wsgi', '4.7.1', '3.9');
  /** RHEL 9 family with the python3.11-mod_wsgi module stream. */
  public static readonly RHEL_9_PYTHON_3_11 = new Platform(OperatingSystem.RHEL_9, RHEL_APACHE, ModWsgiSource.DISTRO_PACKAGE, 'python3.11-mod_wsgi', '4.9.4', '3.11');

  /** All distro-package platforms in the catalog. */
  public static readonly ALL: Platform[] = [
    Platform.DEBIAN_12, Platform.DEBIAN_13, Platform.UBUNTU_22_04, Platform.UBUNTU_24_04,
    Platform.RHEL_9, Platform.RHEL_9_PYTHON_3_11,
  ];

  /** mod_wsgi compiled by pip against a chosen Python; works on any catalogued OS. */
  public static pipModWsgi(options: PipModWsgiOptions): Platform {
    const version = options.modWsgiVersion ?? '5.0.2';
    if (!isPythonMinorVersion(options.pythonVersion) || !(options.pythonVersion in options.os.pythons)) {
      throw new ValidationError('Platform.pipModWsgi', 'pythonVersion', describeValue(options.pythonVersion), `a Python packaged by ${options.os.displayName}: one of ${Object.keys(options.os.pythons).join(', ')}`);
    }
    if (!/^\d+\.\d+\.\d+$/.test(version)) {
      throw new ValidationError('Platform.pipModWsgi', 'modWsgiVersion', describeValue(version), 'a release number like 5.0.2');
    }
    const apache = options.os.family === OsFamily.DEBIAN ? DEBIAN_APACHE : RHEL_APACHE;
    return new Platform(options.os, apache, ModWsgiSource.PIP, `mod_wsgi==${version}`, version, options.pythonVersion);
  }

  /** Absolute path of the interpreter mod_wsgi is linked against. */
  public readonly pythonBinary: string;

  private constructor(
    public readonly os: OsRelease,
    public readonly apache: ApacheLayout,
    public readonly modWsgiSource: ModWsgiSource,
    /** Distro package name, or the pip requirement for a pip build. */
    public readonly modWsgiPackage: string,
    public readonly modWsgiVersion: string,
    /** Python X.Y that mod_wsgi is linked against. */
    public readonly pythonVersion: string,
  ) {
    this.pythonBinary = os.pythons[pythonVersion];
  }

  /** A short identifier, e.g. `debian-12` or `al2023-pip-py3.11`. */
  public get id(): string {
    return this.modWsgiSource === ModWsgiSource.PIP
      ? `${this.os.id}-pip-py${this.pythonVersion}`
      : `${this.os.id}-${this.modWsgiPackage}`;
  }

  /** Distro packages a host needs: Apache, mod_wsgi (or what pip needs to build it) and a venv-capable Python. */
  public get systemPackages(): string[] {
    const python = this.os.pythonPackages[this.pythonVersion];
    if (this.modWsgiSource === ModWsgiSource.PIP) {
      return [...new Set([this.apache.package, ...this.apache.devPackages, ...python, ...this.os.pythonDevPackages[this.pythonVersion]])];
    }
    return [this.apache.package, this.modWsgiPackage, ...python];
  }

  /** True when this platform's mod_wsgi is at least the given version. */
  public modWsgiAtLeast(version: string): boolean {
    return compareVersions(this.modWsgiVersion, version) >= 0;
  }
}
