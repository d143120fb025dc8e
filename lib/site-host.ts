import { Construct } from 'constructs';
import { ApacheSite } from './apache-site';
import { provisionInputOf } from './private/provision-input';
import { propError } from './private/validate';
import { Bundle, BundleOptions, siteBundle } from './provision/bundle';
import { buildRecipe, ProvisionInput, Recipe, RecipeOptions } from './provision/recipe';

/** Props every host of a site takes. */
export interface SiteHostProps {
  /** The site this host serves. */
  readonly site: ApacheSite;
}

/**
 * What every host of an ApacheSite shares: the site, and the one bundle
 * (recipe, config, code) it provisions from. A host adds only its compute.
 */
export abstract class SiteHost extends Construct {
  public readonly site: ApacheSite;

  protected constructor(scope: Construct, id: string, props: SiteHostProps) {
    super(scope, id);
    if (!(props.site instanceof ApacheSite)) {
      throw propError(this, 'site', props.site, 'an ApacheSite');
    }
    this.site = props.site;
  }

  /**
   * The bundle this host ships; rendered at synth, after every app was added.
   * TypeScript only (provisioning layer types).
   * @jsii ignore
   */
  protected bundle(options: BundleOptions): Bundle {
    return siteBundle(this.provisionInput(), options);
  }

  /**
   * The site as the provisioning layer takes it; a host that sits behind a proxy adds it to the trusted proxies.
   * TypeScript only (provisioning layer types).
   * @jsii ignore
   */
  protected provisionInput(): ProvisionInput {
    return provisionInputOf(this.site);
  }

  /**
   * The recipe inside that bundle, as data.
   * TypeScript only (provisioning layer types).
   * @jsii ignore
   */
  protected recipe(options: RecipeOptions): Recipe {
    return buildRecipe(this.provisionInput(), options);
  }
}
