import type { ApacheSite } from '../apache-site';
import { SiteLayout } from '../conf/site-spec';
import { ProvisionInput } from '../provision/recipe';

/** A site as the provisioning layer takes it: plain data with its deployed paths. */
export function provisionInputOf(site: ApacheSite, layout: Partial<SiteLayout> = {}): ProvisionInput {
  return { spec: site.toSpec(), platform: site.platform, layout: site.deployedLayout(layout) };
}
