import { AcmCertificate } from '@cdktf/provider-aws/lib/acm-certificate';
import { AcmCertificateValidation } from '@cdktf/provider-aws/lib/acm-certificate-validation';
import { Lb } from '@cdktf/provider-aws/lib/lb';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import { LbListenerRule } from '@cdktf/provider-aws/lib/lb-listener-rule';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { checkInstanceOf, checkInt, checkPattern, propError } from './private/validate';

/** One target group behind the load balancer: the requests of some URL paths and how to health-check their targets. */
export interface LoadBalancerRoute {
  /**
   * Path patterns (ALB syntax, e.g. ['/api', '/api/*']) routed to this target group.
   * Exactly one route of a load balancer has none: it takes every other request.
   * @default [] - the default route
   */
  readonly pathPatterns?: string[];
  /** Path the load balancer's health check requests. */
  readonly healthCheckPath: string;
  /**
   * Status codes that count as healthy (ALB accepts 200-499).
   * @default '200-399'
   */
  readonly healthyHttpCodes?: string;
}

/** The load balancer settings a site host (Ec2Fleet, EcsFargateHost) passes through. */
export interface SiteLoadBalancerOptions {
  /** ACM certificate for HTTPS. @default - created for domainName and DNS-validated in hostedZoneId */
  readonly certificateArn?: string;
  /** Public DNS name of the site; an alias record is created in hostedZoneId. @default - none (needs certificateArn) */
  readonly domainName?: string;
  /** @default - none (needs certificateArn) */
  readonly hostedZoneId?: string;
  /** @default 31536000 (one year; 0 turns HSTS off) */
  readonly hstsMaxAgeSec?: number;
  /** CIDR blocks allowed to reach the load balancer. @default ['0.0.0.0/0'] */
  readonly allowedCidrs?: string[];
  /**
   * How long a leaving instance or task keeps serving its requests in flight.
   * @default - the longest request the site allows: the largest of Apache's Timeout and the daemon groups' request-timeout
   */
  readonly deregistrationDelaySec?: number;
}

/** How targets are registered in a load balancer's target groups. */
export class TargetType {
  /** By instance ID: EC2 instances, such as an Auto Scaling group's (Ec2Fleet). */
  public static readonly INSTANCE = new TargetType('instance');
  /** By IP address: ECS tasks in awsvpc network mode, such as Fargate tasks (EcsFargateHost). */
  public static readonly IP = new TargetType('ip');

  private constructor(
    /** The target group's target type, e.g. 'instance'. */
    public readonly value: string,
  ) {}
}

export interface HttpsLoadBalancerProps {
  /** VPC of the load balancer and its targets. */
  readonly vpcId: string;
  /** Subnets of the load balancer's nodes: at least two, in different availability zones. */
  readonly subnetIds: string[];
  /** Port the targets serve plain HTTP on. */
  readonly targetPort: number;
  /** Routes to target groups; a request matching none goes to the route without path patterns. */
  readonly routes: LoadBalancerRoute[];
  /**
   * How the targets are registered in the target groups.
   * @default TargetType.INSTANCE
   */
  readonly targetType?: TargetType;
  /**
   * ARN of an ACM certificate for the HTTPS listener.
   * @default - one is created for domainName and DNS-validated in hostedZoneId
   */
  readonly certificateArn?: string;
  /**
   * The site's public DNS name: an alias record to the load balancer is created
   * in hostedZoneId, and the certificate when none is given.
   * @default - no DNS record (needs certificateArn)
   */
  readonly domainName?: string;
  /** Route 53 hosted zone of domainName. @default - none (needs certificateArn) */
  readonly hostedZoneId?: string;
  /**
   * Strict-Transport-Security max-age the HTTPS listener sends (0 turns HSTS off).
   * @default 31536000 (one year)
   */
  readonly hstsMaxAgeSec?: number;
  /**
   * How long a deregistering target keeps serving its requests in flight: at
   * least the longest request the site allows.
   * @default 60
   */
  readonly deregistrationDelaySec?: number;
  /** @default 60 */
  readonly idleTimeoutSec?: number;
  /**
   * CIDR blocks allowed to reach ports 80 and 443.
   * @default ['0.0.0.0/0']
   */
  readonly allowedCidrs?: string[];
  /** @default 'ELBSecurityPolicy-TLS13-1-2-2021-06' */
  readonly sslPolicy?: string;
  /** @default {} */
  readonly tags?: Record<string, string>;
}

const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9a-fA-F:]+\/\d{1,3}$/;
/** ALB health check matchers: codes or ranges from 200 to 499. */
const ALB_CODES = /^[2-4]\d\d(-[2-4]\d\d)?(,[2-4]\d\d(-[2-4]\d\d)?)*$/;

/**
 * An internet-facing Application Load Balancer that serves HTTPS only: an
 * HTTPS listener with an ACM certificate (given, or created and DNS-validated),
 * HTTP redirected to HTTPS, HSTS on, invalid header fields dropped, and one
 * health-checked target group per route. Hosts register their targets in
 * `targetGroups` and let the load balancer in with `allowFrom`.
 */
export class HttpsLoadBalancer extends Construct {
  public readonly loadBalancer: Lb;
  public readonly securityGroup: SecurityGroup;
  /** One per route, in the order of `routes`. */
  public readonly targetGroups: LbTargetGroup[];
  public readonly httpsListener: LbListener;
  public readonly certificateArn: string;
  /** https://<domainName or the load balancer's DNS name>/ */
  public readonly url: string;
  public readonly deregistrationDelaySec: number;
  public readonly targetPort: number;

  constructor(scope: Construct, id: string, props: HttpsLoadBalancerProps) {
    super(scope, id);
    const subnetIds = props.subnetIds ?? [];
    if (!Array.isArray(subnetIds) || subnetIds.length < 2) {
      throw propError(this, 'subnetIds', subnetIds, 'at least two subnets in different availability zones');
    }
    this.targetPort = checkInt(this, 'targetPort', props.targetPort, 1, 65_535);
    const targetType = checkInstanceOf(this, 'targetType', props.targetType, TargetType, TargetType.INSTANCE,
      'a TargetType: TargetType.INSTANCE or TargetType.IP');
    const hstsMaxAgeSec = checkInt(this, 'hstsMaxAgeSec', props.hstsMaxAgeSec ?? 31_536_000, 0, 63_072_000);
    this.deregistrationDelaySec = checkInt(this, 'deregistrationDelaySec', props.deregistrationDelaySec ?? 60, 0, 3_600);
    const idleTimeoutSec = checkInt(this, 'idleTimeoutSec', props.idleTimeoutSec ?? 60, 1, 4_000);
    const allowedCidrs = (props.allowedCidrs ?? ['0.0.0.0/0']).map((c, i) => checkPattern(this, `allowedCidrs[${i}]`, c, CIDR, 'a CIDR block such as "203.0.113.0/24"'));
    const sslPolicy = checkPattern(this, 'sslPolicy', props.sslPolicy ?? 'ELBSecurityPolicy-TLS13-1-2-2021-06', /^ELBSecurityPolicy-[A-Za-z0-9-]+$/, 'an ELB security policy name');
    const routes = props.routes ?? [];
    const defaults = routes.filter((r) => (r.pathPatterns ?? []).length === 0);
    if (routes.length === 0 || defaults.length !== 1) {
      throw propError(this, 'routes', `${routes.length} routes, ${defaults.length} without path patterns`, 'routes of which exactly one has no path patterns (the default)');
    }
    routes.forEach((r, i) => {
      checkPattern(this, `routes[${i}].healthCheckPath`, r.healthCheckPath, /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]{0,1023}$/, 'a URL path starting with "/"');
      checkPattern(this, `routes[${i}].healthyHttpCodes`, r.healthyHttpCodes ?? '200-399', ALB_CODES, 'status codes or ranges from 200 to 499 (what an ALB health check accepts), such as "200-399,401"');
      (r.pathPatterns ?? []).forEach((p, j) => checkPattern(this, `routes[${i}].pathPatterns[${j}]`, p, /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]{0,127}$/, 'an ALB path pattern such as "/api/*"'));
    });
    if (!props.certificateArn && !(props.domainName && props.hostedZoneId)) {
      throw propError(this, 'certificateArn', props.certificateArn, 'an ACM certificate ARN, or domainName and hostedZoneId to create one');
    }
    if (props.certificateArn) {
      checkPattern(this, 'certificateArn', props.certificateArn, /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/, 'the ARN of an ACM certificate');
    }
    if ((props.domainName === undefined) !== (props.hostedZoneId === undefined)) {
      throw propError(this, props.domainName === undefined ? 'domainName' : 'hostedZoneId', undefined, 'domainName and hostedZoneId together (the alias record needs both)');
    }
    const domainName = props.domainName === undefined ? undefined
      : checkPattern(this, 'domainName', props.domainName, /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'a lower-case DNS name such as "www.example.com"');
    const hostedZoneId = props.hostedZoneId === undefined ? undefined
      : checkPattern(this, 'hostedZoneId', props.hostedZoneId, /^Z[A-Z0-9]{1,31}$/, 'a Route 53 hosted zone id such as "Z0123456789ABCDEFGHIJ"');
    const tags = props.tags ?? {};

    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      description: 'HTTPS load balancer: 80 (redirect) and 443 in, the targets\' port out',
      vpcId: props.vpcId,
      ingress: [80, 443].map((port) => ({
        description: port === 443 ? 'https' : 'http, redirected to https', protocol: 'tcp', fromPort: port, toPort: port,
        cidrBlocks: allowedCidrs.filter((c) => !c.includes(':')), ipv6CidrBlocks: allowedCidrs.filter((c) => c.includes(':')),
      })),
      // The targets are in the VPC; the load balancer talks to nothing else.
      egress: [{ description: 'targets', protocol: 'tcp', fromPort: this.targetPort, toPort: this.targetPort, cidrBlocks: ['0.0.0.0/0'] }],
      tags,
    });

    this.loadBalancer = new Lb(this, 'Lb', {
      loadBalancerType: 'application',
      internal: false,
      subnets: subnetIds,
      securityGroups: [this.securityGroup.id],
      idleTimeout: idleTimeoutSec,
      // Requests with header fields that are not valid HTTP never reach Apache.
      dropInvalidHeaderFields: true,
      tags,
    });

    this.targetGroups = routes.map((r, i) => new LbTargetGroup(this, `Targets${i}`, {
      vpcId: props.vpcId,
      port: this.targetPort,
      protocol: 'HTTP',
      targetType: targetType.value,
      deregistrationDelay: String(this.deregistrationDelaySec),
      healthCheck: {
        enabled: true, protocol: 'HTTP', path: r.healthCheckPath, matcher: r.healthyHttpCodes ?? '200-399',
        interval: 10, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 2,
      },
      tags,
    }));

    if (props.certificateArn) {
      this.certificateArn = props.certificateArn;
    } else {
      const cert = new AcmCertificate(this, 'Certificate', {
        domainName: domainName!, validationMethod: 'DNS', tags,
        lifecycle: { createBeforeDestroy: true },
      });
      const option = cert.domainValidationOptions.get(0);
      const record = new Route53Record(this, 'CertificateValidationRecord', {
        zoneId: hostedZoneId!, name: option.resourceRecordName, type: option.resourceRecordType,
        records: [option.resourceRecordValue], ttl: 60, allowOverwrite: true,
      });
      // The listener waits until ACM has issued the certificate.
      this.certificateArn = new AcmCertificateValidation(this, 'CertificateValidation', {
        certificateArn: cert.arn, validationRecordFqdns: [record.fqdn],
      }).certificateArn;
    }

    const forward = (tg: LbTargetGroup) => [{ type: 'forward', targetGroupArn: tg.arn }];
    this.httpsListener = new LbListener(this, 'Https', {
      loadBalancerArn: this.loadBalancer.arn,
      port: 443,
      protocol: 'HTTPS',
      sslPolicy,
      certificateArn: this.certificateArn,
      defaultAction: forward(this.targetGroups[routes.indexOf(defaults[0])]),
      ...(hstsMaxAgeSec > 0 ? { routingHttpResponseStrictTransportSecurityHeaderValue: `max-age=${hstsMaxAgeSec}; includeSubDomains` } : {}),
      tags,
    });
    new LbListener(this, 'HttpRedirect', {
      loadBalancerArn: this.loadBalancer.arn,
      port: 80,
      protocol: 'HTTP',
      defaultAction: [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }],
      tags,
    });
    // Longer (more specific) patterns first: ALB evaluates rules by priority.
    const ranked = routes.map((r, i) => ({ r, i })).filter(({ r }) => (r.pathPatterns ?? []).length > 0)
      .sort((a, b) => Math.max(...b.r.pathPatterns!.map((p) => p.length)) - Math.max(...a.r.pathPatterns!.map((p) => p.length)) || a.i - b.i);
    ranked.forEach(({ r, i }, rank) => {
      new LbListenerRule(this, `Route${i}`, {
        listenerArn: this.httpsListener.arn,
        priority: 10 * (rank + 1),
        condition: [{ pathPattern: { values: r.pathPatterns! } }],
        action: forward(this.targetGroups[i]),
        tags,
      });
    });

    if (domainName && hostedZoneId) {
      new Route53Record(this, 'Alias', {
        zoneId: hostedZoneId, name: domainName, type: 'A',
        alias: { name: this.loadBalancer.dnsName, zoneId: this.loadBalancer.zoneId, evaluateTargetHealth: true },
      });
    }
    this.url = `https://${domainName ?? this.loadBalancer.dnsName}/`;
    new TerraformOutput(this, 'Url', { value: this.url });
  }

  /** Lets the load balancer reach the targets' port in a target security group (and nothing else in). */
  public allowFrom(id: string, targetSecurityGroupId: string): VpcSecurityGroupIngressRule {
    return new VpcSecurityGroupIngressRule(this, id, {
      securityGroupId: targetSecurityGroupId,
      referencedSecurityGroupId: this.securityGroup.id,
      ipProtocol: 'tcp', fromPort: this.targetPort, toPort: this.targetPort,
      description: 'from the load balancer only',
    });
  }
}
