import { SiteLayout, SiteSpec } from './site-spec';
import type { ApacheLayout } from '../platform/platform';

/** Root directory of a site on a provisioned host. */
export function deployRoot(siteName: string): string {
  return `/srv/wsgi/${siteName}`;
}

/** Where code, venvs, sockets and logs go on a VM or container of a platform. */
export function deployedLayout(spec: SiteSpec, apache: ApacheLayout, overrides: Partial<SiteLayout> = {}): SiteLayout {
  const root = deployRoot(spec.name);
  return {
    appDirs: Object.fromEntries(spec.apps.map((a) => [a.name, `${root}/apps/${a.name}`])),
    venvDirs: Object.fromEntries(spec.venvs.map((v) => [v.name, `${root}/venvs/${v.name}`])),
    home: root,
    documentRoot: `${root}/htdocs`,
    socketPrefix: apache.socketPrefix,
    bootDir: `${root}/boot`,
    secretsDir: `${root}/secrets`,
    dataDir: `${root}/data`,
    errorLog: `${apache.logDir}/${spec.name}-error.log`,
    accessLog: `${apache.logDir}/${spec.name}-access.log`,
    daemonUsers: true,
    listen: spec.port !== 80,
    hostFactsFile: `${root}/host.conf`,
    mdStoreDir: apache.tls?.mdStoreDir,
    ...overrides,
  };
}
