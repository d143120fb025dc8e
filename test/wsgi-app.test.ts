import * as path from 'path';
import { ApplicationGroup, WsgiApp } from '../lib';
import { FIXTURE_APP, newGroup, newSite, warningsOf } from './util';

describe('WsgiApp', () => {
  function app(site: ReturnType<typeof newSite>['site'], id: string, props: Partial<ConstructorParameters<typeof WsgiApp>[2]> = {}) {
    return new WsgiApp(site, id, { mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', ...props });
  }

  test('defaults to %{GLOBAL}, thread-safe, callable "application"', () => {
    const { site } = newSite();
    const a = app(site, 'Web', { daemonGroup: newGroup(site, 'G') });
    expect(a.applicationGroup).toBe(ApplicationGroup.GLOBAL);
    expect(a.threadSafe).toBe(true);
    expect(a.callableObject).toBe('application');
    expect(a.appName).toBe('web');
  });

  test('fails without a daemon group while embedded mode is restricted', () => {
    const { site } = newSite();
    expect(() => app(site, 'Web')).toThrow(/test\/Site\/Web: daemonGroup undefined is invalid; expected a DaemonGroup: site test\/Site restricts embedded mode/);
  });

  test('runs embedded only when the site allows it', () => {
    const { site } = newSite({ restrictEmbedded: false });
    const a = app(site, 'Web');
    expect(a.daemonGroup).toBeUndefined();
    expect(site.renderConfigFiles()['site.conf']).toContain('WSGIScriptAlias / /srv/wsgi/site/boot/web.wsgi application-group=%{GLOBAL}\n');
  });

  test('fails when two apps share a daemon group in %{GLOBAL}', () => {
    const { site } = newSite();
    const group = newGroup(site, 'G');
    app(site, 'One', { mountPath: '/one', daemonGroup: group });
    expect(() => app(site, 'Two', { mountPath: '/two', daemonGroup: group }))
      .toThrow(/test\/Site\/Two: daemonGroup "test\/Site\/G" is invalid; expected a DaemonGroup of its own: test\/Site\/One runs in %\{GLOBAL\}/);
  });

  test('fails when two apps share a daemon group and a named application group', () => {
    const { site } = newSite();
    const group = newGroup(site, 'G');
    app(site, 'One', { mountPath: '/one', daemonGroup: group, applicationGroup: ApplicationGroup.named('x') });
    expect(() => app(site, 'Two', { mountPath: '/two', daemonGroup: group, applicationGroup: ApplicationGroup.named('x') }))
      .toThrow(/applicationGroup "x" is invalid; expected an application group not used by test\/Site\/One/);
  });

  test('fails on an application group that is not an ApplicationGroup', () => {
    // GIVEN a JavaScript caller passing the directive's value as a string
    const { site } = newSite();
    const group = newGroup(site, 'Api');
    // THEN the error names the app, the value and what is expected
    expect(() => app(site, 'App', { daemonGroup: group, applicationGroup: '%{GLOBAL}' as any }))
      .toThrow(/test\/Site\/App: applicationGroup "%\{GLOBAL\}" is invalid; expected an ApplicationGroup such as ApplicationGroup.GLOBAL/);
  });

  test('fails on a duplicate mount path', () => {
    const { site } = newSite();
    app(site, 'One', { mountPath: '/api', daemonGroup: newGroup(site, 'G1') });
    expect(() => app(site, 'Two', { mountPath: '/api', daemonGroup: newGroup(site, 'G2') }))
      .toThrow(/mountPath "\/api" is invalid; expected a mount path no other app uses \(already mounted by test\/Site\/One\)/);
  });

  test('fails on a mount path under another app\'s static files, which Apache would serve instead', () => {
    // GIVEN static files at /assets (mod_alias wins over WSGIScriptAlias)
    const { site } = newSite();
    app(site, 'One', { mountPath: '/', daemonGroup: newGroup(site, 'G1'), staticFiles: [{ urlPath: '/assets', directory: 'static' }] });
    // THEN an app at /assets/api would never be reached
    expect(() => app(site, 'Two', { mountPath: '/assets/api', daemonGroup: newGroup(site, 'G2') }))
      .toThrow(/mountPath "\/assets\/api" is invalid; expected a path not at or under the static files URL \/assets of test\/Site\/One/);
  });

  test('fails on static files that would hide an existing app', () => {
    const { site } = newSite();
    app(site, 'One', { mountPath: '/api/v2', daemonGroup: newGroup(site, 'G1') });
    expect(() => app(site, 'Two', { mountPath: '/', daemonGroup: newGroup(site, 'G2'), staticFiles: [{ urlPath: '/api', directory: 'static' }] }))
      .toThrow(/test\/Site\/One: mountPath "\/api\/v2" is invalid; expected a path not at or under the static files URL \/api/);
  });

  test('allows an app mounted under another app (most specific wins)', () => {
    const { site } = newSite();
    app(site, 'Root', { mountPath: '/', daemonGroup: newGroup(site, 'G1') });
    expect(app(site, 'Api', { mountPath: '/api', daemonGroup: newGroup(site, 'G2') }).mountPath).toBe('/api');
  });

  test.each(['api', '/api/', '//x', '/a b', '/a"b', '/a\nb'])('fails on mount path %j', (mountPath) => {
    const { site } = newSite();
    expect(() => app(site, 'Web', { mountPath, daemonGroup: newGroup(site, 'G') })).toThrow(/mountPath .* is invalid; expected '\/' or a path like/);
  });

  test('fails on a relative source path', () => {
    const { site } = newSite();
    expect(() => app(site, 'Web', { source: 'test/fixtures/app', daemonGroup: newGroup(site, 'G') }))
      .toThrow(/source "test\/fixtures\/app" is invalid; expected an absolute path/);
  });

  test('fails on a source that does not exist', () => {
    const { site } = newSite();
    const missing = path.join(FIXTURE_APP, 'nope');
    expect(() => app(site, 'Web', { source: missing, daemonGroup: newGroup(site, 'G') })).toThrow(/source ".*nope" is invalid; expected an existing directory/);
  });

  test('fails on a script file missing from the source', () => {
    const { site } = newSite();
    expect(() => app(site, 'Web', { scriptFile: 'app.wsgi', daemonGroup: newGroup(site, 'G') })).toThrow(/scriptFile "app.wsgi" is invalid; expected an existing file inside the app source/);
  });

  test('fails on a script path escaping the source', () => {
    const { site } = newSite();
    expect(() => app(site, 'Web', { scriptFile: '../util.ts', daemonGroup: newGroup(site, 'G') })).toThrow(/scriptFile "..\/util.ts" is invalid; expected a path relative to the app source/);
  });

  test('fails on a static directory missing from the source', () => {
    const { site } = newSite();
    expect(() => app(site, 'Web', { daemonGroup: newGroup(site, 'G'), staticFiles: [{ urlPath: '/s', directory: 'public' }] }))
      .toThrow(/staticFiles\[0\].directory "public" is invalid; expected an existing directory/);
  });

  test('fails on a daemon group of another site', () => {
    const { site } = newSite();
    const other = newSite().site;
    expect(() => app(site, 'Web', { daemonGroup: newGroup(other, 'G') })).toThrow(/expected a DaemonGroup of the same site/);
  });

  test('warns when an app not thread-safe runs in a multi-threaded group', () => {
    const { site } = newSite();
    const a = app(site, 'Web', { daemonGroup: newGroup(site, 'G', { threads: 5 }), threadSafe: false });
    expect(warningsOf(a)).toEqual([expect.stringMatching(/not thread-safe but its daemon group g runs 5 threads/)]);
  });
});
