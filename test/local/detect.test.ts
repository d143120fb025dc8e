import { detectLocalApache, LocalApacheMissingError } from '../../lib';

describe('detectLocalApache', () => {
  test('fails with the packages to install when Apache is not found', () => {
    // GIVEN a search path with no apache2 or httpd
    // THEN the error says what to install
    expect(() => detectLocalApache(['/nonexistent'])).toThrow(LocalApacheMissingError);
    expect(() => detectLocalApache(['/nonexistent'])).toThrow(/Apache httpd was not found.*apt-get install apache2 libapache2-mod-wsgi-py3/);
  });

  test('finds the Python mod_wsgi links, not the first python3 on PATH', () => {
    // GIVEN this machine's apache2 + libapache2-mod-wsgi-py3 (installed by .ci/run)
    const apache = detectLocalApache();
    // THEN the interpreter is /usr/bin/python<X.Y> of the linked libpython
    expect(apache.modWsgiPath).toMatch(/mod_wsgi\.so$/);
    expect(apache.pythonBinary).toBe(`/usr/bin/python${apache.pythonVersion}`);
    expect(apache.pythonVersion).toMatch(/^3\.\d+$/);
  });
});
