import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Testing, TerraformStack } from 'cdktf';
import { HttpsLoadBalancer, HttpsLoadBalancerProps, TargetType } from '../../lib/aws';
import { planOffline } from '../provision/terraform';

const BASE: HttpsLoadBalancerProps = {
  vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'], targetPort: 80,
  domainName: 'www.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ',
  routes: [{ healthCheckPath: '/health', healthyHttpCodes: '200' }, { pathPatterns: ['/api', '/api/*'], healthCheckPath: '/api/health' }],
};

function synth(props: Partial<HttpsLoadBalancerProps> = {}): { stack: TerraformStack; json: any } {
  const stack = new TerraformStack(Testing.app(), 's');
  new AwsProvider(stack, 'Aws', { region: 'us-east-1' });
  new HttpsLoadBalancer(stack, 'Lb', { ...BASE, ...props });
  return { stack, json: JSON.parse(Testing.synth(stack, true)) };
}
const values = (json: any, type: string): any[] => Object.values(json.resource?.[type] ?? {});

describe('HttpsLoadBalancer', () => {
  test('serves HTTPS with a modern policy, HSTS on, and redirects HTTP to HTTPS', () => {
    // GIVEN a load balancer with default props
    const { json } = synth();
    // THEN one listener is HTTPS with HSTS and the other only redirects
    const listeners = values(json, 'aws_lb_listener');
    const https = listeners.find((l) => l.port === 443);
    const http = listeners.find((l) => l.port === 80);
    expect([https.protocol, https.ssl_policy]).toEqual(['HTTPS', 'ELBSecurityPolicy-TLS13-1-2-2021-06']);
    expect(https.routing_http_response_strict_transport_security_header_value).toBe('max-age=31536000; includeSubDomains');
    expect(http.default_action).toEqual([{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', status_code: 'HTTP_301' } }]);
    expect(values(json, 'aws_lb')[0].drop_invalid_header_fields).toBe(true);
  });

  test('creates a DNS-validated certificate and an alias record when no certificate ARN is given', () => {
    const { json } = synth();
    expect(values(json, 'aws_acm_certificate')[0]).toMatchObject({ domain_name: 'www.example.com', validation_method: 'DNS' });
    expect(values(json, 'aws_acm_certificate_validation')).toHaveLength(1);
    const records = values(json, 'aws_route53_record');
    expect(records.map((r) => r.type).sort()).toEqual(['${tolist(aws_acm_certificate.Lb_Certificate_46FA18CD.domain_validation_options).0.resource_record_type}', 'A']);
    expect(values(json, 'aws_lb_listener').find((l) => l.port === 443).certificate_arn).toMatch(/aws_acm_certificate_validation\./);
  });

  test('uses a given certificate ARN and creates no certificate', () => {
    const arn = 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666';
    const { json } = synth({ certificateArn: arn, domainName: undefined, hostedZoneId: undefined });
    expect(values(json, 'aws_acm_certificate')).toHaveLength(0);
    expect(values(json, 'aws_route53_record')).toHaveLength(0);
    expect(values(json, 'aws_lb_listener').find((l) => l.port === 443).certificate_arn).toBe(arn);
  });

  test('health-checks each route on its own path and routes the longer patterns first', () => {
    const { json } = synth({ deregistrationDelaySec: 75 });
    const groups = values(json, 'aws_lb_target_group');
    expect(groups.map((g) => [g.health_check.path, g.health_check.matcher, g.deregistration_delay])).toEqual([['/health', '200', '75'], ['/api/health', '200-399', '75']]);
    const [rule] = values(json, 'aws_lb_listener_rule');
    expect(rule.condition).toEqual([{ path_pattern: { values: ['/api', '/api/*'] } }]);
    expect(rule.action[0].target_group_arn).toBe('${aws_lb_target_group.Lb_Targets1_B8A0C9D4.arn}');
  });

  test('registers instances by default and IP addresses when asked', () => {
    // GIVEN a load balancer with the default target type and one with TargetType.IP
    const targetTypes = (props: Partial<HttpsLoadBalancerProps>) => values(synth(props).json, 'aws_lb_target_group').map((g) => g.target_type);
    // THEN every target group of each has that type
    expect(targetTypes({})).toEqual(['instance', 'instance']);
    expect(targetTypes({ targetType: TargetType.IP })).toEqual(['ip', 'ip']);
  });

  test('turns HSTS off only when asked', () => {
    const { json } = synth({ hstsMaxAgeSec: 0 });
    expect(values(json, 'aws_lb_listener').find((l) => l.port === 443).routing_http_response_strict_transport_security_header_value).toBeUndefined();
  });

  test.each([
    ['one subnet', { subnetIds: ['subnet-1'] }, /Lb: subnetIds .* is invalid; expected at least two subnets/],
    ['no certificate and no zone', { domainName: undefined, hostedZoneId: undefined }, /certificateArn undefined is invalid; expected an ACM certificate ARN, or domainName and hostedZoneId/],
    ['a domain without a zone', { hostedZoneId: undefined, certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' }, /hostedZoneId undefined is invalid; expected domainName and hostedZoneId together/],
    ['two default routes', { routes: [{ healthCheckPath: '/' }, { healthCheckPath: '/b' }] }, /routes "2 routes, 2 without path patterns" is invalid/],
    ['codes an ALB refuses', { routes: [{ healthCheckPath: '/', healthyHttpCodes: '200-599' }] }, /routes\[0\].healthyHttpCodes "200-599" is invalid; expected status codes or ranges from 200 to 499/],
    ['a target type given as the string of ALB\'s', { targetType: 'ip' }, /Lb: targetType "ip" is invalid; expected a TargetType: TargetType.INSTANCE or TargetType.IP/],
    ['a target type that only looks like a TargetType', { targetType: { value: 'lambda' } }, /Lb: targetType .* is invalid; expected a TargetType/],
    ['a CIDR that is not one', { allowedCidrs: ['everyone'] }, /allowedCidrs\[0\] "everyone" is invalid/],
  ])('fails on %s', (_name, props, message) => {
    expect(() => synth(props as Partial<HttpsLoadBalancerProps>)).toThrow(message);
  });

  test('terraform validate and plan succeed offline', () => {
    // GIVEN the load balancer with a created certificate, offline provider flags
    const plan = planOffline((app) => {
      const stack = new TerraformStack(app, 'lb');
      new AwsProvider(stack, 'Aws', { region: 'us-east-1' });
      new HttpsLoadBalancer(stack, 'Lb', BASE);
      return stack;
    });
    // THEN (terraform validate passed): SG, LB, 2 target groups, cert, validation record, validation, 2 listeners, 1 rule, alias = 11
    expect(plan).toContain('Plan: 11 to add, 0 to change, 0 to destroy.');
  });
});
