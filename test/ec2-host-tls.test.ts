import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, Testing, TerraformStack } from 'cdktf';
import { ApacheSite, DaemonGroup, Platform, TlsCertificate, TlsOptions, VirtualEnv, WsgiApp } from '../lib';
import { Ec2Host, Ec2HostProps } from '../lib/aws';
import { DockerHost } from '../lib/docker';
import { planOffline } from './provision/terraform';
import { FIXTURE_APP, warningsOf } from './util';

const ACME = TlsCertificate.acme({ contactEmail: 'admin@example.com', acceptTermsOfService: true });
const CERT_ARN = 'arn:aws:ssm:us-east-1:123456789012:parameter/site/tls-cert';
const KEY_ARN = 'arn:aws:ssm:us-east-1:123456789012:parameter/site/tls-key';

function tlsStack(app: App, tls: TlsOptions, host: Partial<Ec2HostProps> = {}) {
  const stack = new TerraformStack(app, 'tls');
  new AwsProvider(stack, 'Aws', { region: 'us-east-1' });
  const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'www.example.com', tls });
  new WsgiApp(site, 'App', { mountPath: '/', source: FIXTURE_APP, scriptFile: 'wsgi.py', daemonGroup: new DaemonGroup(site, 'G', { virtualEnv: new VirtualEnv(stack, 'E') }) });
  const ec2 = new Ec2Host(stack, 'Host', { site, amiId: 'ami-0123456789abcdef0', ...host });
  return { stack, site, host: ec2 };
}

function synth(stack: TerraformStack): any {
  return JSON.parse(Testing.synth(stack, true));
}

describe('Ec2Host of a site with TLS', () => {
  test('opens the HTTP port (redirect, ACME) and the HTTPS port, nothing else', () => {
    const { stack } = tlsStack(Testing.app(), { certificate: ACME });
    const [sg] = Object.values(synth(stack).resource.aws_security_group) as any[];
    expect(sg.ingress.map((r: any) => [r.description, r.protocol, r.from_port, r.to_port])).toEqual([['site-http', 'tcp', 80, 80], ['site-https', 'tcp', 443, 443]]);
  });

  test('outputs the https:// URL of the domain and the public IP the domain must point at', () => {
    const { stack } = tlsStack(Testing.app(), { certificate: ACME });
    const outputs = synth(stack).output;
    expect(Object.entries(outputs).find(([k]) => k.startsWith('Host_Url'))?.[1]).toMatchObject({ value: 'https://www.example.com/' });
    expect(Object.keys(outputs).some((k) => k.startsWith('Host_PublicIp'))).toBe(true);
  });

  test('SSM certificate: the instance role may read exactly the two parameters, and the user data holds no certificate', () => {
    const { stack, host } = tlsStack(Testing.app(), { certificate: TlsCertificate.fromSsmParameters(CERT_ARN, KEY_ARN) });
    const [policy] = Object.values(synth(stack).resource.aws_iam_role_policy) as any[];
    const parameterReads = JSON.parse(policy.policy).Statement.filter((st: any) => st.Action.includes('ssm:GetParameter'));
    expect(parameterReads).toEqual([{ Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:GetParameters'], Resource: [CERT_ARN, KEY_ARN] }]);
    expect(host.userData()).not.toMatch(/BEGIN (CERTIFICATE|PRIVATE KEY)/);
  });

  test('warns when allowedCidrs keeps the ACME CA away from port 80', () => {
    const { host } = tlsStack(Testing.app(), { certificate: ACME }, { allowedCidrs: ['203.0.113.0/24'] });
    expect(warningsOf(host).join('\n')).toMatch(/the ACME CA validates the domain over port 80/);
  });

  test('terraform validate and plan succeed offline for an ACME site', () => {
    // (an Ec2Host's 17 resources, the deploy document, association, fingerprint and waiter included)
    expect(planOffline((app) => tlsStack(app, { certificate: ACME }).stack)).toContain('Plan: 17 to add, 0 to change, 0 to destroy.');
  });
});

describe('DockerHost of a site with TLS', () => {
  test('fails: a container publishes one plain HTTP port', () => {
    const stack = new TerraformStack(Testing.app(), 'd');
    const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'www.example.com', tls: { certificate: ACME } });
    expect(() => new DockerHost(stack, 'Host', { site })).toThrow('d/Host: site "d/Site" is invalid; expected a site without tls');
  });
});

describe('Ec2Host in-place deploys of a TLS site', () => {
  test('count the SSM certificate files as config: a rotated certificate makes the deploy reload Apache', () => {
    // GIVEN a site whose certificate is kept in SSM
    const { host } = tlsStack(Testing.app(), { certificate: TlsCertificate.fromSsmParameters(CERT_ARN, KEY_ARN) });
    // WHEN its in-place bundle is rendered
    const plan = JSON.parse(host.bundleObject.files().get('deploy.json')!.content.toString('utf8'));
    // THEN the deploy program compares the two PEM files with the config files before it switches
    expect(plan.configFiles.filter((f: string) => f.endsWith('.pem'))).toEqual(['/etc/cdktf-apache-wsgi/site/tls/fullchain.pem', '/etc/cdktf-apache-wsgi/site/tls/privkey.pem']);
  });
});
