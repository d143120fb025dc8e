import { deployedLayout, deployRoot } from './layout';
import { SiteLayout, SiteSpec } from './site-spec';
import type { ApacheLayout } from '../platform/platform';

/**
 * Paths of a host that deploys code in place (Ec2Host): each deploy builds a release
 * (`releases/<id>`: app code, boot files, links to venvs kept in `venvs/<name>-<hash>`)
 * and `current` is switched to it, so the Apache config, which names only paths under
 * `current`, stays the same when only code or venvs change.
 */
export function inPlaceLayout(spec: SiteSpec, apache: ApacheLayout, overrides: Partial<SiteLayout> = {}): SiteLayout {
  const current = `${deployRoot(spec.name)}/current`;
  return deployedLayout(spec, apache, {
    appDirs: Object.fromEntries(spec.apps.map((a) => [a.name, `${current}/apps/${a.name}`])),
    venvDirs: Object.fromEntries(spec.venvs.map((v) => [v.name, `${current}/venvs/${v.name}`])),
    bootDir: `${current}/boot`,
    releaseLink: current,
    ...overrides,
  });
}

/** The in-place layout as one release sees it before it serves: its own directory instead of `current`. */
export function releaseLayout(layout: SiteLayout, releaseDir: string): SiteLayout {
  const link = layout.releaseLink;
  if (link === undefined) {
    throw new Error('releaseLayout: the layout has no releases (see inPlaceLayout)');
  }
  const move = (p: string) => (p === link || p.startsWith(`${link}/`) ? `${releaseDir}${p.slice(link.length)}` : p);
  const moveAll = (dirs: Readonly<Record<string, string>>) => Object.fromEntries(Object.entries(dirs).map(([k, v]) => [k, move(v)]));
  return { ...layout, appDirs: moveAll(layout.appDirs), venvDirs: moveAll(layout.venvDirs), bootDir: move(layout.bootDir) };
}
