import * as os from 'os';
import { blank, comment, ConfNode, directive } from './model';
import { serverConf, vhostConf } from './site-conf';
import { HOST_PROCESSES_VARIABLE, needsHostCpus, PROCESSES_PER_CPU, SiteLayout, SiteSpec } from './site-spec';

/** Modules a standalone site config loads, beyond those compiled into httpd. */
export const STANDALONE_MODULES: readonly string[] = [
  'mpm_event', 'authz_core', 'authz_host', 'alias', 'mime', 'dir', 'headers', 'reqtimeout', 'wsgi',
];

/** A self-contained Apache instance: everything a distro's main config would otherwise provide. */
export interface StandaloneHost {
  readonly serverRoot: string;
  readonly pidFile: string;
  readonly listenAddress: string;
  readonly port: number;
  /** Module name -> shared object path, e.g. wsgi -> /usr/lib/apache2/modules/mod_wsgi.so */
  readonly modules: Readonly<Record<string, string>>;
  readonly mimeTypesFile?: string;
  /** Server-wide error log (startup messages, daemon crashes). */
  readonly errorLog: string;
  /** User/Group of Apache's children; only when started as root. */
  readonly user?: string;
  readonly group?: string;
  /**
   * CPUs of the machine Apache runs on, for daemon groups sized from the host.
   * @default - this machine's (os.availableParallelism()): a standalone config runs where it is rendered
   */
  readonly cpus?: number;
}

/**
 * One config file that runs the site on its own (`apache2 -f FILE`): the same
 * server and virtual host trees a VM gets, plus what the distro config adds.
 * A local run serves plain HTTP on one port: the site's TLS settings are left out.
 */
export function standaloneConf(siteSpec: SiteSpec, layout: SiteLayout, host: StandaloneHost): ConfNode[] {
  const spec: SiteSpec = { ...siteSpec, tls: undefined };
  const nodes: ConfNode[] = [
    directive('ServerRoot', host.serverRoot),
    directive('PidFile', host.pidFile),
    directive('Listen', `${host.listenAddress}:${host.port}`),
    directive('ErrorLog', host.errorLog),
  ];
  for (const [name, file] of Object.entries(host.modules)) {
    nodes.push(directive('LoadModule', `${name}_module`, file));
  }
  if (host.mimeTypesFile) {
    nodes.push(directive('TypesConfig', host.mimeTypesFile));
  }
  if (host.user) {
    nodes.push(directive('User', host.user), directive('Group', host.group ?? host.user));
  }
  if (needsHostCpus(spec)) {
    nodes.push(directive('Define', HOST_PROCESSES_VARIABLE, PROCESSES_PER_CPU * (host.cpus ?? os.availableParallelism())));
  }
  nodes.push(
    blank(),
    comment('Server-wide settings, as in server.conf'),
    ...serverConf(spec, { ...layout, listen: false, hostFactsFile: undefined }),
    blank(),
    comment('The virtual host, as in site.conf'),
    ...vhostConf(spec, { ...layout, port: host.port }),
  );
  return nodes;
}
