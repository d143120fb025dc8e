import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdktf';
import { DaemonGroup, DaemonGroupProps, OperatingSystem, Platform, WsgiApp } from '../lib';
import { apacheAvailable, existingGroups, makeScratchDir, scratchLayout, standaloneHost, standaloneText, syntaxCheck, warnings } from './support/apache-check';
import { FIXTURE_APP, newGroup, newSite } from './util';
import { DAEMON_OPTIONS, DaemonOptionSpec } from '../lib/platform/daemon-options';

/** The WSGIDaemonProcess line of the site's vhost. */
function daemonLine(group: DaemonGroup, daemonUsers = true): string {
  const conf = group.site.renderConfigFiles(group.site.deployedLayout({ daemonUsers }))['site.conf'];
  return conf.split('\n').find((l) => l.trim().startsWith(`WSGIDaemonProcess ${group.name} `))!.trim();
}

const pip = (modWsgiVersion: string) => Platform.pipModWsgi({ os: OperatingSystem.DEBIAN_12, pythonVersion: '3.11', modWsgiVersion });

describe('the WSGIDaemonProcess option table', () => {
  test('holds every option the parser of mod_wsgi 6.0.5 accepts, plus the New Relic ones of 4.1-5.0', () => {
    // GIVEN the option names read from wsgi_add_daemon_process() at the tag mod_wsgi-6.0.5
    const parser605 = [
      'chroot', 'connect-timeout', 'cpu-priority', 'cpu-time-limit', 'deadlock-timeout', 'display-name', 'eviction-timeout',
      'graceful-timeout', 'group', 'header-buffer-size', 'home', 'inactivity-timeout', 'interrupt-timeout', 'lang',
      'listen-backlog', 'locale', 'maximum-requests', 'memory-limit', 'processes', 'python-eggs', 'python-home',
      'python-path', 'queue-timeout', 'receive-buffer-size', 'request-timeout', 'response-buffer-size',
      'response-flush-delay', 'response-socket-timeout', 'restart-interval', 'script-group', 'script-user',
      'send-buffer-size', 'server-metrics', 'shutdown-timeout', 'socket-timeout', 'socket-user', 'stack-size',
      'startup-timeout', 'supplementary-groups', 'switch-interval', 'threads', 'umask', 'user', 'virtual-memory-limit',
    ];
    expect(parser605).toHaveLength(44);
    // THEN the table has each exactly once
    const options = Object.values(DAEMON_OPTIONS as Record<string, DaemonOptionSpec>).map((s) => s.option);
    expect(options.sort()).toEqual([...parser605, 'newrelic-config-file', 'newrelic-environment'].sort());
    // AND every owned or refused option says why
    const unexplained = Object.values(DAEMON_OPTIONS as Record<string, DaemonOptionSpec>).filter((s) => ['owned', 'refused'].includes(s.kind) && !s.reason);
    expect(unexplained).toEqual([]);
  });
});

describe('DaemonGroup option props', () => {
  test('an integer option renders in its unit: memoryLimitBytes -> memory-limit=<bytes>', () => {
    // GIVEN a 512 MiB data limit and a 300 s CPU limit
    const { site } = newSite();
    const group = newGroup(site, 'Api', { memoryLimitBytes: 512 * 1024 * 1024, cpuTimeLimitSec: 300, headerBufferSizeBytes: 65_536 });
    // THEN each is rendered as mod_wsgi's option with the number unchanged
    const line = daemonLine(group);
    expect(line).toContain(' memory-limit=536870912');
    expect(line).toContain(' cpu-time-limit=300');
    expect(line).toContain(' header-buffer-size=65536');
    expect(group.options.memoryLimitBytes).toBe(536_870_912);
  });

  test('a range that includes 0 renders 0: cpuPriority 0 and responseFlushDelayMs 0 (6.0.2)', () => {
    const { site } = newSite({ platform: pip('6.0.2') });
    const group = newGroup(site, 'Api', { cpuPriority: 0, responseFlushDelayMs: 0 });
    expect(daemonLine(group)).toMatch(/ cpu-priority=0 .*response-flush-delay=0$/);
  });

  test('a decimal option keeps its fraction: switchIntervalSec 0.002 (6.0)', () => {
    const { site } = newSite({ platform: pip('6.0.0') });
    expect(daemonLine(newGroup(site, 'Api', { switchIntervalSec: 0.002 }))).toMatch(/ switch-interval=0\.002$/);
  });

  test('a boolean renders On; false is mod_wsgi\'s default and is left out', () => {
    const { site } = newSite();
    expect(daemonLine(newGroup(site, 'On', { serverMetrics: true }))).toMatch(/ server-metrics=On$/);
    expect(daemonLine(newGroup(site, 'Off', { serverMetrics: false }))).not.toContain('server-metrics');
  });

  test('umask is an octal string', () => {
    const { site } = newSite();
    expect(daemonLine(newGroup(site, 'Api', { umask: '0027' }))).toMatch(/ umask=0027$/);
  });

  test('supplementaryGroups render comma-separated, only where daemons get their own users', () => {
    // GIVEN two extra groups
    const { site } = newSite();
    const group = newGroup(site, 'Api', { supplementaryGroups: ['www-data', 'users'] });
    // THEN a deployed host (Apache started as root) gets them
    expect(daemonLine(group, true)).toMatch(/ supplementary-groups=www-data,users$/);
    // AND a non-root local run, which cannot setgroups(), leaves them out like user= and group=
    expect(daemonLine(group, false)).not.toMatch(/supplementary-groups|user=/);
  });

  test('the 15 first option props keep their names and production defaults', () => {
    const { site } = newSite();
    expect(daemonLine(newGroup(site, 'Api'))).toMatch(/ listen-backlog=100 queue-timeout=45 socket-timeout=60 connect-timeout=15 request-timeout=60 startup-timeout=15 deadlock-timeout=60 graceful-timeout=15 shutdown-timeout=5$/);
  });

  test('a production default the platform\'s mod_wsgi predates is left out, not an error', () => {
    // GIVEN mod_wsgi 4.5.0, older than startup-timeout (4.5.6)
    const { site } = newSite({ platform: pip('4.5.0') });
    const line = daemonLine(newGroup(site, 'Api'));
    expect(line).not.toContain('startup-timeout');
    expect(line).toContain('request-timeout=60');
  });

  test.each([
    ['memoryLimitBytes', { memoryLimitBytes: 1024 }, /memoryLimitBytes 1024 is invalid; expected an integer from 33554432 to/],
    ['virtualMemoryLimitBytes', { virtualMemoryLimitBytes: 2 ** 51 }, /virtualMemoryLimitBytes 2251799813685248 is invalid; expected an integer from 67108864 to 1125899906842624/],
    ['cpuPriority', { cpuPriority: -21 }, /cpuPriority -21 is invalid; expected an integer from -20 to 19/],
    ['headerBufferSizeBytes', { headerBufferSizeBytes: 4096 }, /headerBufferSizeBytes 4096 is invalid; expected an integer from 8192 to/],
    ['responseBufferSizeBytes', { responseBufferSizeBytes: 1000 }, /responseBufferSizeBytes 1000 is invalid; expected an integer from 65536 to/],
    ['sendBufferSizeBytes', { sendBufferSizeBytes: 511 }, /sendBufferSizeBytes 511 is invalid; expected an integer from 512 to/],
    ['stackSizeBytes', { stackSizeBytes: 1.5 }, /stackSizeBytes 1.5 is invalid; expected an integer/],
    ['cpuTimeLimitSec', { cpuTimeLimitSec: '60' }, /cpuTimeLimitSec "60" is invalid; expected an integer from 1 to/],
  ])('fails on %s out of range or of the wrong type', (_prop, props, message) => {
    const { site } = newSite();
    expect(() => newGroup(site, 'Api', props as Partial<DaemonGroupProps>)).toThrow(message);
  });

  test.each([
    ['"0000" (world-writable files)', '0000', /umask "0000" is invalid; expected a umask that masks write for other users/],
    ['"0020"', '0020', /umask "0020" is invalid; expected a umask that masks write for other users/],
    ['a decimal number', 18, /umask 18 is invalid; expected an octal umask such as "0027"/],
    ['"0o27"', '0o27', /umask "0o27" is invalid; expected an octal umask/],
    ['"0089"', '0089', /umask "0089" is invalid; expected an octal umask/],
  ])('fails on umask %s', (_label, umask, message) => {
    const { site } = newSite();
    expect(() => newGroup(site, 'Api', { umask } as unknown as Partial<DaemonGroupProps>)).toThrow(message);
  });

  test.each([
    ['switchIntervalSec', { switchIntervalSec: 0 }, /switchIntervalSec 0 is invalid; expected a number from 0.000001 to 10/],
    ['switchIntervalSec', { switchIntervalSec: NaN }, /switchIntervalSec NaN is invalid/],
    ['serverMetrics', { serverMetrics: 'On' }, /serverMetrics "On" is invalid; expected true or false/],
    ['supplementaryGroups', { supplementaryGroups: 'www-data' }, /supplementaryGroups "www-data" is invalid; expected a list of group names/],
    ['supplementaryGroups', { supplementaryGroups: ['a,b'] }, /supplementaryGroups\[0\] "a,b" is invalid; expected a Linux group name/],
  ])('fails on %s of the wrong kind', (_prop, props, message) => {
    const { site } = newSite({ platform: pip('6.0.2') });
    expect(() => newGroup(site, 'Api', props as unknown as Partial<DaemonGroupProps>)).toThrow(message);
  });

  test.each([
    ['switchIntervalSec', { switchIntervalSec: 0.01 }, 'switch-interval needs mod_wsgi 6.0.0 or later and debian-12-libapache2-mod-wsgi-py3 has 4.9.4'],
    ['responseFlushDelayMs', { responseFlushDelayMs: 0 }, 'response-flush-delay needs mod_wsgi 6.0.2 or later and debian-12-libapache2-mod-wsgi-py3 has 4.9.4'],
    ['interruptTimeoutSec', { interruptTimeoutSec: 10 }, 'interrupt-timeout needs mod_wsgi 6.0.0 or later and debian-12-libapache2-mod-wsgi-py3 has 4.9.4'],
  ])('fails on %s, newer than Debian 12\'s mod_wsgi 4.9.4', (_prop, props, message) => {
    const { site } = newSite();
    expect(() => newGroup(site, 'Api', props)).toThrow(message);
  });

  test('fails on response-flush-delay on mod_wsgi 6.0.1, the release before it', () => {
    const { site } = newSite({ platform: pip('6.0.1') });
    expect(() => newGroup(site, 'Api', { responseFlushDelayMs: 5 })).toThrow(/responseFlushDelayMs 5 is invalid; expected no value: response-flush-delay needs mod_wsgi 6.0.2 or later and debian-12-pip-py3.11 has 6.0.1/);
  });

  test('fails on server-metrics on mod_wsgi 4.1.3, the release before it', () => {
    const { site } = newSite({ platform: pip('4.1.3') });
    expect(() => newGroup(site, 'Api', { serverMetrics: true })).toThrow(/serverMetrics true is invalid; expected no value: server-metrics needs mod_wsgi 4.2.0/);
  });

  test.each([
    ['chroot', '/var/chroot', /chroot "\/var\/chroot" is invalid; expected no value: chroot= needs Apache started as root .* \(chroot= is refused\)/],
    ['socketUser', 'nobody', /socketUser "nobody" is invalid; expected no value: mod_wsgi creates the daemon socket with mode 0700 .* \(socket-user= is refused\)/],
    ['scriptUser', 'deploy', /scriptUser "deploy" is invalid; expected no value: the library installs app code owned by root/],
    ['scriptGroup', 'deploy', /scriptGroup "deploy" is invalid; expected no value: the library installs app code owned by root/],
    ['pythonEggs', '/tmp/eggs', /pythonEggs "\/tmp\/eggs" is invalid; expected no value: python-eggs= is the cache for zipped eggs/],
    ['newrelicConfigFile', '/etc/nr.ini', /newrelicConfigFile "\/etc\/nr.ini" is invalid; expected no value: mod_wsgi 6.0 removed the New Relic options/],
    ['home', '/root', /home "\/root" is invalid; expected no value: the library sets home= .* \(home= is set by the library\)/],
    ['pythonHome', '/usr', /pythonHome "\/usr" is invalid; expected no value: python-home= is the root of the group's virtualEnv/],
    ['pythonPath', '/srv/lib', /pythonPath "\/srv\/lib" is invalid; expected no value: use WsgiApp.pythonPaths; the app.s source directory is always on sys.path/],
  ])('fails on the refused or library-owned option %s, with the reason', (prop, value, message) => {
    // GIVEN a JavaScript caller passing an option the typed props do not have
    const { site } = newSite();
    expect(() => newGroup(site, 'Api', { [prop]: value } as Partial<DaemonGroupProps>)).toThrow(message);
  });

  test.each(['root', 'shadow', 'disk', 'docker', 'adm', 'sudo', 'wheel', 'kmem', 'sys', 'staff', 'lxd', 'systemd-journal'])('fails on the privileged group %s, as group and as a supplementary group', (name) => {
    const { site } = newSite();
    const reason = `expected an unprivileged group: ${name} gives its members system-wide rights`;
    expect(() => newGroup(site, 'Api', { group: name })).toThrow(`test/Site/Api: group "${name}" is invalid; ${reason}`);
    expect(() => newGroup(site, 'Other', { supplementaryGroups: ['users', name] })).toThrow(`test/Site/Other: supplementaryGroups[1] "${name}" is invalid; ${reason}`);
  });
});

describe('every option valid on mod_wsgi 4.9.4 on real Apache', () => {
  test('a group using them all passes apache2 -t without warnings', async () => {
    // GIVEN Debian 12 (mod_wsgi 4.9.4, installed here) and a group with every option 4.9.4 has, each set
    expect(apacheAvailable()).toBe(true);
    // (the accounts named below must exist where apache2 -t runs: it resolves them)
    expect(['nogroup', 'users', 'www-data'].filter((g) => !existingGroups().has(g))).toEqual([]);
    const { stack, site } = newSite();
    const all: Partial<DaemonGroupProps> = {
      user: 'www-data', group: 'www-data', processes: 2, threads: 3, displayName: '(wsgi:%{GROUP})', lang: 'C.UTF-8', locale: 'C.UTF-8',
      listenBacklog: 50, queueTimeoutSec: 30, socketTimeoutSec: 30, connectTimeoutSec: 10, requestTimeoutSec: 30, startupTimeoutSec: 10,
      deadlockTimeoutSec: 30, gracefulTimeoutSec: 10, shutdownTimeoutSec: 3, inactivityTimeoutSec: 600, evictionTimeoutSec: 20,
      restartIntervalSec: 86_400, responseSocketTimeoutSec: 30, maximumRequests: 10_000,
      cpuTimeLimitSec: 3600, cpuPriority: 5, memoryLimitBytes: 1024 ** 3, virtualMemoryLimitBytes: 4 * 1024 ** 3,
      stackSizeBytes: 524_288, sendBufferSizeBytes: 262_144, receiveBufferSizeBytes: 262_144, headerBufferSizeBytes: 32_768,
      responseBufferSizeBytes: 131_072, umask: '0027', supplementaryGroups: ['nogroup', 'users'], serverMetrics: true,
    };
    const group = newGroup(site, 'Api', all);
    new WsgiApp(site, 'App', { mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: group });
    Testing.synth(stack, true);
    // AND every option of the table that 4.9.4 accepts is set (owned ones through their props; home/python-home by the library)
    const typed = Object.entries(DAEMON_OPTIONS as Record<string, DaemonOptionSpec>)
      .filter(([, s]) => !['owned', 'refused'].includes(s.kind) && site.platform.modWsgiAtLeast(s.since));
    expect(typed.filter(([key]) => all[key as keyof DaemonGroupProps] === undefined).map(([key]) => key)).toEqual([]);
    const dir = makeScratchDir('daemon-options-');
    try {
      const file = path.join(dir, 'httpd.conf');
      fs.writeFileSync(file, standaloneText(site.toSpec(), scratchLayout(site.deployedLayout(), dir, true), standaloneHost(dir)));
      const line = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.includes('WSGIDaemonProcess'))!;
      for (const [, spec] of typed) {
        expect(line).toContain(` ${spec.option}=`);
      }
      // WHEN real Apache parses it
      const result = await syntaxCheck(file);
      // THEN it is accepted with no warning
      expect(result.output.trim()).toBe('Syntax OK');
      expect(warnings(result.output)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
