import { blank, comment, directive, renderConf, section } from '../../lib/conf';

describe('renderConf', () => {
  test('renders nested sections with four-space indentation and a header', () => {
    // GIVEN a small tree
    const tree = [
      directive('ServerName', 'example.com'),
      blank(),
      section('Directory', '/srv/my app', [
        comment('static files'),
        directive('Require', 'all', 'granted'),
      ]),
    ];
    // WHEN it is rendered
    const text = renderConf(tree, { header: ['Generated.'] });
    // THEN the output is exact
    expect(text).toBe([
      '# Generated.',
      '',
      'ServerName example.com',
      '',
      '<Directory "/srv/my app">',
      '    # static files',
      '    Require all granted',
      '</Directory>',
      '',
    ].join('\n'));
  });

  test('is deterministic', () => {
    const tree = [section('VirtualHost', '*:80', [directive('ServerName', 'a.example')])];
    expect(renderConf(tree)).toBe(renderConf(tree));
  });

  test('fails on a section argument containing ">"', () => {
    expect(() => renderConf([section('Location', '/a>b', [])])).toThrow(/section argument/);
  });

  test('fails on a multi-line comment', () => {
    expect(() => renderConf([comment('a\nRequire all granted')])).toThrow(/more than one line/);
  });

  test('fails on an invalid directive name', () => {
    expect(() => renderConf([directive('Bad Name', 'x')])).toThrow(/not a valid Apache directive/);
  });

  test('fails on a value carrying a newline', () => {
    expect(() => renderConf([directive('ServerName', 'a\nTraceEnable On')])).toThrow(/control character/);
  });
});
