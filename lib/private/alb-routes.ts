import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Construct } from 'constructs';
import type { SiteSpec } from '../conf/site-spec';
import { HttpsLoadBalancer, LoadBalancerRoute, SiteLoadBalancerOptions, TargetType } from '../https-load-balancer';
import { checkPattern, propError } from './validate';
import type { ProvisionInput } from '../provision/recipe';

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

/**
 * ALB's forwarding headers: it sets X-Forwarded-Proto and appends to X-Forwarded-For,
 * and passes a client's X-Forwarded-Host through, so that one is not trusted.
 */
const ALB_HEADERS = ['X-Forwarded-For', 'X-Forwarded-Proto'];

/** A literal IPv4 subnet CIDR block (the site trusts the load balancer nodes in it). */
const SUBNET_CIDR = /^(\d{1,3}\.){3}\d{1,3}\/(8|9|[12]\d|3[0-2])$/;

/** The load balancer's subnets (at least two, each with its literal CIDR block): their CIDR blocks, the site's trusted proxies. */
export function loadBalancerSubnetCidrs(scope: Construct, subnets: readonly { readonly cidrBlock: string }[]): string[] {
  if (!Array.isArray(subnets) || subnets.length < 2) {
    throw propError(scope, 'subnets', subnets, 'at least two subnets in different availability zones');
  }
  return subnets.map((s, i) => checkPattern(scope, `subnets[${i}].cidrBlock`, s.cidrBlock, SUBNET_CIDR, 'the literal IPv4 CIDR block of the subnet, such as "10.0.1.0/24"'));
}

/** The site behind the load balancer: its subnets are trusted proxies, so apps see https and the client's address. */
export function behindLoadBalancer(input: ProvisionInput, proxyCidrs: readonly string[]): ProvisionInput {
  const { spec } = input;
  return {
    ...input,
    spec: {
      ...spec,
      trustedProxies: [...new Set([...spec.trustedProxies, ...proxyCidrs])],
      trustedProxyHeaders: spec.trustedProxies.length > 0 ? spec.trustedProxyHeaders : ALB_HEADERS,
    },
  };
}

/**
 * The HTTPS load balancer in front of a site's instances or tasks: one route per
 * app, drained for as long as the site lets a request run, idle timeout no shorter
 * than Apache's.
 */
export function siteLoadBalancer(scope: Construct, spec: SiteSpec, options: SiteLoadBalancerOptions,
  target: { vpcId: string; subnetIds: string[]; port: number; targetType?: TargetType; tags: Record<string, string> }): HttpsLoadBalancer {
  const requestTimeouts = spec.groups.flatMap((g) => g.options.filter((o) => o.option === 'request-timeout').map((o) => Number(o.value)));
  return new HttpsLoadBalancer(scope, 'LoadBalancer', {
    vpcId: target.vpcId, subnetIds: target.subnetIds, targetPort: target.port, targetType: target.targetType,
    routes: siteRoutes(spec.apps),
    certificateArn: options.certificateArn, domainName: options.domainName, hostedZoneId: options.hostedZoneId,
    hstsMaxAgeSec: options.hstsMaxAgeSec, allowedCidrs: options.allowedCidrs,
    deregistrationDelaySec: options.deregistrationDelaySec ?? Math.max(spec.timeoutSec, ...requestTimeouts),
    idleTimeoutSec: Math.max(60, spec.timeoutSec),
    tags: target.tags,
  });
}

/**
 * The security group of the instances or tasks behind a site's load balancer:
 * inbound only from the load balancer; outbound open for packages, S3, ECR,
 * CloudWatch Logs and SSM / Secrets Manager over HTTPS/HTTP.
 */
export function targetsSecurityGroup(scope: Construct, loadBalancer: HttpsLoadBalancer,
  options: { description: string; vpcId: string; allowId: string; tags: Record<string, string> }): SecurityGroup {
  const group = new SecurityGroup(scope, 'SecurityGroup', {
    description: options.description,
    vpcId: options.vpcId,
    egress: [{ description: 'outbound', protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['0.0.0.0/0'] }],
    tags: options.tags,
  });
  loadBalancer.allowFrom(options.allowId, group.id);
  return group;
}
