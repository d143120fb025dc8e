import type { LoadBalancerRoute } from '../https-load-balancer';

/** Load balancer routes for a site's apps: one target group per app, health-checked on the app's health path. */
export function siteRoutes(apps: readonly { mountPath: string; healthCheckPath: string; healthyHttpCodes: string }[]): LoadBalancerRoute[] {
  const hasRoot = apps.some((a) => a.mountPath === '/');
  return apps.map((a, i) => ({
    // Without an app at '/', the first app takes unmatched requests; Apache answers 404 for them.
    pathPatterns: a.mountPath === '/' || (!hasRoot && i === 0) ? [] : [a.mountPath, `${a.mountPath}/*`],
    healthCheckPath: a.healthCheckPath,
    healthyHttpCodes: a.healthyHttpCodes,
  }));
}
