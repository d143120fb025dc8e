import type { ApacheSite } from '../apache-site';
import { inPlaceLayout } from '../conf/release-layout';
import { SiteLayout } from '../conf/site-spec';
import { ProvisionInput } from '../provision/recipe';

/** A site as the provisioning layer takes it: plain data with its deployed paths. */
export function provisionInputOf(site: ApacheSite, layout: Partial<SiteLayout> = {}): ProvisionInput {
  return { spec: site.toSpec(), platform: site.platform, layout: site.deployedLayout(layout) };
}

/** A site with the paths of a host that deploys code in place (releases behind a `current` link). */
export function inPlaceProvisionInputOf(site: ApacheSite): ProvisionInput {
  const spec = site.toSpec();
  return { spec, platform: site.platform, layout: inPlaceLayout(spec, site.platform.apache) };
}
