import { ConfValueError, quoteArg } from '../../lib/conf';

describe('quoteArg', () => {
  test('leaves plain words, paths and mod_wsgi options bare', () => {
    // GIVEN values Apache reads back unchanged
    // THEN they are written as they are
    expect(quoteArg('On')).toBe('On');
    expect(quoteArg('/srv/wsgi/site/apps/api/wsgi.py')).toBe('/srv/wsgi/site/apps/api/wsgi.py');
    expect(quoteArg('application-group=%{GLOBAL}')).toBe('application-group=%{GLOBAL}');
    expect(quoteArg(10485760)).toBe('10485760');
  });

  test('double-quotes values with spaces and escapes quotes and backslashes', () => {
    expect(quoteArg('/srv/my app')).toBe('"/srv/my app"');
    expect(quoteArg('say "hi"')).toBe('"say \\"hi\\""');
    expect(quoteArg('a\\b')).toBe('"a\\\\b"');
    expect(quoteArg('')).toBe('""');
  });

  test('quotes characters that start comments or sections', () => {
    expect(quoteArg('#x')).toBe('"#x"');
    expect(quoteArg('<Directory')).toBe('"<Directory"');
    expect(quoteArg('a>b')).toBe('"a>b"');
  });

  test.each([
    ['newline', 'a\nRequire all granted'],
    ['carriage return', 'a\rb'],
    ['NUL', 'a\u0000b'],
    ['tab', 'a\tb'],
  ])('fails on a %s, which would split the directive', (_name, value) => {
    expect(() => quoteArg(value)).toThrow(ConfValueError);
    expect(() => quoteArg(value)).toThrow(/control character/);
  });

  test('fails on ${, which Apache expands as a variable', () => {
    expect(() => quoteArg('${APACHE_LOG_DIR}/x')).toThrow(/expands as a variable/);
  });

  test('fails on a number that is not finite', () => {
    expect(() => quoteArg(Number.NaN)).toThrow(/not a finite number/);
  });
});
