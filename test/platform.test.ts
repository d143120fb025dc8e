import { compareVersions, ModWsgiSource, OperatingSystem, Platform } from '../lib';

describe('Platform catalog', () => {
  test.each([
    [Platform.DEBIAN_12, 'apache2', 'libapache2-mod-wsgi-py3', '4.9.4', '3.11'],
    [Platform.DEBIAN_13, 'apache2', 'libapache2-mod-wsgi-py3', '5.0.2', '3.13'],
    [Platform.UBUNTU_22_04, 'apache2', 'libapache2-mod-wsgi-py3', '4.9.0', '3.10'],
    [Platform.UBUNTU_24_04, 'apache2', 'libapache2-mod-wsgi-py3', '5.0.0', '3.12'],
    [Platform.RHEL_9, 'httpd', 'python3-mod_wsgi', '4.7.1', '3.9'],
    [Platform.RHEL_9_PYTHON_3_11, 'httpd', 'python3.11-mod_wsgi', '4.9.4', '3.11'],
  ])('%s ships the documented Apache, mod_wsgi and linked Python', (platform, apache, pkg, version, python) => {
    expect(platform.apache.package).toBe(apache);
    expect(platform.modWsgiPackage).toBe(pkg);
    expect(platform.modWsgiVersion).toBe(version);
    expect(platform.pythonVersion).toBe(python);
    expect(platform.pythonBinary).toBe(`/usr/bin/python${python}`);
  });

  test('uses each family\'s socket prefix', () => {
    expect(Platform.DEBIAN_12.apache.socketPrefix).toBe('/var/run/apache2/wsgi');
    expect(Platform.RHEL_9.apache.socketPrefix).toBe('/run/httpd/wsgi');
  });

  test('builds mod_wsgi with pip against a chosen Python the OS packages', () => {
    const p = Platform.pipModWsgi({ os: OperatingSystem.AMAZON_LINUX_2023, pythonVersion: '3.11' });
    expect(p.modWsgiSource).toBe(ModWsgiSource.PIP);
    expect(p.modWsgiPackage).toBe('mod_wsgi==5.0.2');
    expect(p.pythonBinary).toBe('/usr/bin/python3.11');
    expect(p.apache.package).toBe('httpd');
    expect(p.id).toBe('al2023-pip-py3.11');
  });

  test('fails on a pip platform with a Python the OS does not package', () => {
    expect(() => Platform.pipModWsgi({ os: OperatingSystem.DEBIAN_12, pythonVersion: '3.12' }))
      .toThrow(/^Platform.pipModWsgi: pythonVersion "3.12" is invalid; expected a Python packaged by Debian 12 \(bookworm\): one of 3.11$/);
  });

  test('fails on a malformed mod_wsgi version', () => {
    expect(() => Platform.pipModWsgi({ os: OperatingSystem.DEBIAN_12, pythonVersion: '3.11', modWsgiVersion: 'latest' }))
      .toThrow(/^Platform.pipModWsgi: modWsgiVersion "latest" is invalid; expected a release number like 5.0.2$/);
  });

  test('compares dotted versions numerically', () => {
    expect(compareVersions('4.9.4', '4.10.0')).toBe(-1);
    expect(compareVersions('5.0', '5.0.0')).toBe(0);
    expect(Platform.DEBIAN_13.modWsgiAtLeast('5.0.0')).toBe(true);
    expect(Platform.RHEL_9.modWsgiAtLeast('4.9.0')).toBe(false);
  });
});
