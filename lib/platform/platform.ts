import { compareVersions, isPythonMinorVersion } from './version';

/** Linux distribution families differ in package names, paths and tools. */
export enum OsFamily {
  DEBIAN = 'debian',
  RHEL = 'rhel',
}

/** An operating system release: what it ships and where it puts things. */
export interface OsRelease {
  readonly id: string;
  readonly displayName: string;
  readonly family: OsFamily;
  /** Container base image, pinned to a release tag. */
  readonly dockerImage: string;
  /** Owner and name pattern of the official AMI, for an `aws_ami` lookup. */
  readonly ami: { readonly owner: string; readonly namePattern: string };
  /** Python minor versions the distro packages, each with its interpreter path. */
  readonly pythons: Readonly<Record<string, string>>;
}

/** How mod_wsgi gets onto the machine. */
export enum ModWsgiSource {
  /** The distribution's own package, linked against its default Python. */
  DISTRO_PACKAGE = 'distro-package',
  /** `pip install mod_wsgi` into a venv of the chosen Python, loaded via `mod_wsgi-express module-config`. */
  PIP = 'pip',
}

/** Distro-specific Apache layout. */
export interface ApacheLayout {
  readonly package: string;
  readonly binary: string;
  readonly ctl: string;
  /** The unprivileged user Apache's own workers run as. */
  readonly user: string;
  readonly modulesDir: string;
  /** Directory whose `*.conf` files the distro's main config includes. */
  readonly includeDir: string;
  readonly logDir: string;
  /** WSGISocketPrefix: the directory must exist and be writable by Apache's parent. */
  readonly socketPrefix: string;
  /** Apache packages needed to compile mod_wsgi with pip. */
  readonly devPackages: readonly string[];
}

const DEBIAN_APACHE: ApacheLayout = {
  package: 'apache2',
  binary: 'apache2',
  ctl: 'apache2ctl',
  user: 'www-data',
  modulesDir: '/usr/lib/apache2/modules',
  includeDir: '/etc/apache2/conf-enabled',
  logDir: '/var/log/apache2',
  socketPrefix: '/var/run/apache2/wsgi',
  devPackages: ['apache2-dev'],
};

const RHEL_APACHE: ApacheLayout = {
  package: 'httpd',
  binary: 'httpd',
  ctl: 'apachectl',
  user: 'apache',
  modulesDir: '/usr/lib64/httpd/modules',
  includeDir: '/etc/httpd/conf.d',
  logDir: '/var/log/httpd',
  socketPrefix: '/run/httpd/wsgi',
  devPackages: ['httpd-devel', 'gcc', 'redhat-rpm-config'],
};

/** Operating system releases known to the catalog. */
export class OperatingSystem {
  public static readonly DEBIAN_12: OsRelease = {
    id: 'debian-12', displayName: 'Debian 12 (bookworm)', family: OsFamily.DEBIAN,
    dockerImage: 'debian:12-slim',
    ami: { owner: '136693071363', namePattern: 'debian-12-amd64-*' },
    pythons: { '3.11': '/usr/bin/python3.11' },
  };
  public static readonly DEBIAN_13: OsRelease = {
    id: 'debian-13', displayName: 'Debian 13 (trixie)', family: OsFamily.DEBIAN,
    dockerImage: 'debian:13-slim',
    ami: { owner: '136693071363', namePattern: 'debian-13-amd64-*' },
    pythons: { '3.13': '/usr/bin/python3.13' },
  };
  public static readonly UBUNTU_22_04: OsRelease = {
    id: 'ubuntu-22.04', displayName: 'Ubuntu 22.04 LTS', family: OsFamily.DEBIAN,
    dockerImage: 'ubuntu:22.04',
    ami: { owner: '099720109477', namePattern: 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*' },
    pythons: { '3.10': '/usr/bin/python3.10' },
  };
  public static readonly UBUNTU_24_04: OsRelease = {
    id: 'ubuntu-24.04', displayName: 'Ubuntu 24.04 LTS', family: OsFamily.DEBIAN,
    dockerImage: 'ubuntu:24.04',
    ami: { owner: '099720109477', namePattern: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*' },
    pythons: { '3.12': '/usr/bin/python3.12' },
  };
  public static readonly RHEL_9: OsRelease = {
    id: 'rhel-9', displayName: 'RHEL 9 family (Rocky, Alma)', family: OsFamily.RHEL,
    dockerImage: 'rockylinux:9',
    ami: { owner: '309956199498', namePattern: 'RHEL-9.*_HVM-*-x86_64-*' },
    pythons: { '3.9': '/usr/bin/python3.9', '3.11': '/usr/bin/python3.11', '3.12': '/usr/bin/python3.12' },
  };
  public static readonly AMAZON_LINUX_2023: OsRelease = {
    id: 'al2023', displayName: 'Amazon Linux 2023', family: OsFamily.RHEL,
    dockerImage: 'amazonlinux:2023',
    ami: { owner: '137112412989', namePattern: 'al2023-ami-2023.*-x86_64' },
    pythons: { '3.9': '/usr/bin/python3.9', '3.11': '/usr/bin/python3.11' },
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
  public static readonly ALL: readonly Platform[] = [
    Platform.DEBIAN_12, Platform.DEBIAN_13, Platform.UBUNTU_22_04, Platform.UBUNTU_24_04,
    Platform.RHEL_9, Platform.RHEL_9_PYTHON_3_11,
  ];

  /** mod_wsgi compiled by pip against a chosen Python; works on any catalogued OS. */
  public static pipModWsgi(options: PipModWsgiOptions): Platform {
    const version = options.modWsgiVersion ?? '5.0.2';
    if (!isPythonMinorVersion(options.pythonVersion) || !(options.pythonVersion in options.os.pythons)) {
      throw new Error(`Platform.pipModWsgi: pythonVersion ${JSON.stringify(options.pythonVersion)} is not packaged by ${options.os.displayName}; expected one of ${Object.keys(options.os.pythons).join(', ')}`);
    }
    if (!/^\d+\.\d+\.\d+$/.test(version)) {
      throw new Error(`Platform.pipModWsgi: modWsgiVersion ${JSON.stringify(version)} is not a release number like 5.0.2`);
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

  /** True when this platform's mod_wsgi is at least the given version. */
  public modWsgiAtLeast(version: string): boolean {
    return compareVersions(this.modWsgiVersion, version) >= 0;
  }
}
