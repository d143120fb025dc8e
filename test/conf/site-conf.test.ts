import { daemonRequestWorkers, MIN_REQUEST_WORKERS, mpmConf, renderConf, requiredRequestWorkers } from '../../lib/conf';
import { ApplicationGroup, WsgiApp } from '../../lib';
import { FIXTURE_APP, newGroup, newSite } from '../util';

describe('daemonRequestWorkers', () => {
  test('follows mod_wsgi-express for one group: 10 + max(10, 1.5 x processes x threads)', () => {
    expect(daemonRequestWorkers([{ processes: 2, threads: 5 }])).toBe(25);
    expect(daemonRequestWorkers([{ threads: 1 }])).toBe(20);
  });

  test('sums processes x threads over all groups', () => {
    // GIVEN 2x5 + 1x15 = 25 daemon threads
    // THEN 10 + ceil(1.5 x 25) = 48
    expect(daemonRequestWorkers([{ processes: 2, threads: 5 }, { threads: 15 }])).toBe(48);
  });
});

describe('requiredRequestWorkers', () => {
  test('never goes below MIN_REQUEST_WORKERS, so 128 keep-alive clients are not dropped', () => {
    expect(requiredRequestWorkers([{ processes: 2, threads: 5 }])).toBe(MIN_REQUEST_WORKERS);
    expect(MIN_REQUEST_WORKERS).toBe(256);
  });

  test('follows the daemon groups above the floor', () => {
    // GIVEN 4 x 64 = 256 daemon threads THEN 10 + 1.5 x 256 = 394
    expect(requiredRequestWorkers([{ processes: 4, threads: 64 }])).toBe(394);
  });

  test('counts a group sized from the host as one process', () => {
    expect(daemonRequestWorkers([{ threads: 200 }])).toBe(310);
  });
});

describe('mpmConf', () => {
  test('starts every worker at once in one child up to 512 threads', () => {
    expect(renderConf(mpmConf(256))).toBe([
      '# Sized for the clients and the daemon groups: 256 Apache threads, all started at once.',
      '<IfModule mpm_event_module>',
      '    ServerLimit 1',
      '    StartServers 1',
      '    ThreadsPerChild 256',
      '    ThreadLimit 256',
      '    MaxRequestWorkers 256',
      '    MinSpareThreads 25',
      '    MaxSpareThreads 256',
      '</IfModule>',
      '',
    ].join('\n'));
  });

  test('splits more than 512 workers into equal children, all started', () => {
    const text = renderConf(mpmConf(1000));
    expect(text).toContain('ServerLimit 2\n');
    expect(text).toContain('StartServers 2\n');
    expect(text).toContain('ThreadsPerChild 500\n');
    expect(text).toContain('MaxRequestWorkers 1000\n');
  });

  test('keeps children of 25 threads when an app runs embedded (one interpreter per child)', () => {
    const text = renderConf(mpmConf(256, true));
    expect(text).toContain('ServerLimit 11\n');
    expect(text).toContain('ThreadsPerChild 24\n');
    expect(text).toContain('MaxRequestWorkers 264\n');
  });
});

describe('vhostConf via ApacheSite', () => {
  function twoAppSite() {
    const { site } = newSite();
    const root = newGroup(site, 'Root', { processes: 2 });
    const api = newGroup(site, 'Api');
    new WsgiApp(site, 'RootApp', { mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: root });
    new WsgiApp(site, 'ApiApp', { mountPath: '/api', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: api, passAuthorization: true });
    return site;
  }

  test('puts the most specific WSGIScriptAlias first so "/" does not swallow "/api"', () => {
    // GIVEN '/' created before '/api'
    const conf = twoAppSite().renderConfigFiles()['site.conf'];
    // THEN '/api' is aliased first
    expect(conf.indexOf('WSGIScriptAlias /api ')).toBeLessThan(conf.indexOf('WSGIScriptAlias / '));
  });

  test('scopes WSGIProcessGroup to each app\'s Location, least specific first', () => {
    const conf = twoAppSite().renderConfigFiles()['site.conf'];
    expect(conf).toContain('    <Location />\n        WSGIProcessGroup root\n        WSGIApplicationGroup %{GLOBAL}\n    </Location>\n');
    expect(conf).toContain('    <Location /api>\n        WSGIProcessGroup api\n        WSGIApplicationGroup %{GLOBAL}\n        WSGIPassAuthorization On\n    </Location>\n');
    expect(conf.indexOf('<Location />')).toBeLessThan(conf.indexOf('<Location /api>'));
  });

  test('names process and application group on WSGIScriptAlias so the app preloads', () => {
    const conf = twoAppSite().renderConfigFiles()['site.conf'];
    expect(conf).toContain('WSGIScriptAlias /api /srv/wsgi/site/boot/api-app.wsgi process-group=api application-group=%{GLOBAL}\n');
  });

  test('renders given processes as a number and the others from the host CPU count', () => {
    const conf = twoAppSite().renderConfigFiles()['site.conf'];
    expect(conf).toMatch(/WSGIDaemonProcess root .* processes=2 threads=32 /);
    expect(conf).toMatch(/WSGIDaemonProcess api .* processes=\$\{WSGI_HOST_PROCESSES\} threads=32 /);
  });

  test('server.conf includes the host facts file before any group reads WSGI_HOST_PROCESSES', () => {
    const conf = twoAppSite().renderConfigFiles()['server.conf'];
    expect(conf).toContain('\nInclude /srv/wsgi/site/host.conf\n');
  });

  test('runs each group as its own non-root user with python-home set to its venv', () => {
    const conf = twoAppSite().renderConfigFiles()['site.conf'];
    expect(conf).toContain('WSGIDaemonProcess api user=wsgi-api group=wsgi-api home=/srv/wsgi/site python-home=/srv/wsgi/site/venvs/api-env ');
  });

  test('applies mod_wsgi-express production timeouts by default', () => {
    const conf = twoAppSite().renderConfigFiles()['site.conf'];
    expect(conf).toContain('display-name=%{GROUP} lang=C.UTF-8 locale=C.UTF-8 listen-backlog=100 queue-timeout=45 socket-timeout=60 connect-timeout=15 request-timeout=60 startup-timeout=15 deadlock-timeout=60 graceful-timeout=15 shutdown-timeout=5\n');
  });

  test('server.conf restricts embedded mode, sets the socket prefix and production limits', () => {
    const conf = twoAppSite().renderConfigFiles()['server.conf'];
    for (const line of [
      'WSGIRestrictEmbedded On', 'WSGISocketPrefix /var/run/apache2/wsgi', 'Timeout 60', 'KeepAliveTimeout 2',
      'LimitRequestBody 10485760', '    RequestReadTimeout header=15-30,MinRate=500 body=15,MinRate=500',
      'ServerTokens Prod', 'ServerSignature Off', 'TraceEnable Off',
    ]) {
      expect(conf).toContain(`\n${line}\n`);
    }
    expect(conf).toContain('<Directory />\n    Options None\n    AllowOverride None\n    Require all denied\n</Directory>\n');
  });

  test('only adds Listen when the port is not the distro\'s 80', () => {
    expect(twoAppSite().renderConfigFiles()['server.conf']).not.toContain('Listen');
    const { site } = newSite({ port: 8080 });
    new WsgiApp(site, 'A', { mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: newGroup(site, 'G') });
    expect(site.renderConfigFiles()['server.conf']).toContain('\nListen 8080\n');
    expect(site.renderConfigFiles()['site.conf']).toContain('<VirtualHost *:8080>');
  });

  test('serves static files through Apache with Require all granted', () => {
    const { site } = newSite();
    new WsgiApp(site, 'A', {
      mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: newGroup(site, 'G'),
      staticFiles: [{ urlPath: '/static', directory: 'static', maxAgeSec: 60 }],
    });
    expect(site.renderConfigFiles()['site.conf']).toContain([
      '    Alias /static /srv/wsgi/site/apps/a/static',
      '    <Directory /srv/wsgi/site/apps/a/static>',
      '        Options None',
      '        Require all granted',
      '        <IfModule headers_module>',
      '            Header set Cache-Control "public, max-age=60"',
      '        </IfModule>',
      '        <FilesMatch "^\\\\.|~$|\\\\.(bak|old|orig|swp|swo|tmp|save)$|^#.*#$">',
      '            Require all denied',
      '        </FilesMatch>',
      '    </Directory>',
      '    <DirectoryMatch "^/srv/wsgi/site/apps/a/static/(.+/)?\\\\.">',
      '        Require all denied',
      '    </DirectoryMatch>',
    ].join('\n'));
  });

  test('named application groups let two apps share one daemon group', () => {
    const { site } = newSite();
    const group = newGroup(site, 'Shared');
    new WsgiApp(site, 'A', { mountPath: '/a', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: group, applicationGroup: ApplicationGroup.named('a') });
    new WsgiApp(site, 'B', { mountPath: '/b', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: group, applicationGroup: ApplicationGroup.named('b') });
    const conf = site.renderConfigFiles()['site.conf'];
    expect(conf).toContain('process-group=shared application-group=a\n');
    expect(conf).toContain('process-group=shared application-group=b\n');
  });

  test('trusts forwarding headers only from the given proxies', () => {
    const { site } = newSite({ trustedProxies: ['10.0.0.0/24'] });
    new WsgiApp(site, 'A', { mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: newGroup(site, 'G') });
    const conf = site.renderConfigFiles()['site.conf'];
    expect(conf).toContain('    WSGITrustedProxyHeaders X-Forwarded-For X-Forwarded-Proto X-Forwarded-Host\n    WSGITrustedProxies 10.0.0.0/24\n');
  });
});
