import type { IConstruct } from 'constructs';
import { TlsCertificateSpec } from './conf/tls';
import { ValidationError } from './errors';
import { checkConfString, describeValue, propError } from './private/validate';

/** Mozilla Server Side TLS profiles (guidelines 6.0). */
export enum TlsProfile {
  /** TLS 1.2 and 1.3, ECDHE with AES-GCM or ChaCha20-Poly1305 only: every client of the last decade. */
  INTERMEDIATE = 'intermediate',
  /** TLS 1.3 only: clients from 2019 on (Firefox 63, Chrome 70, Safari 12.1, Android 10). */
  MODERN = 'modern',
}

/** ACME directory URLs of well-known CAs. */
export class AcmeCa {
  /** Let's Encrypt production. */
  public static readonly LETS_ENCRYPT = 'https://acme-v02.api.letsencrypt.org/directory';
  /** Let's Encrypt staging: untrusted certificates, generous rate limits; for trying a setup out. */
  public static readonly LETS_ENCRYPT_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';

  private constructor() {}
}

export interface AcmeCertificateOptions {
  /** Where the CA sends account and expiry notices (MDContactEmail). */
  readonly contactEmail: string;
  /**
   * You accept the CA's terms of service (MDCertificateAgreement accepted).
   * The CA issues nothing without it; it must be true.
   */
  readonly acceptTermsOfService: boolean;
  /**
   * ACME directory URL of the CA.
   * @default AcmeCa.LETS_ENCRYPT
   */
  readonly caUrl?: string;
}

/** Options of an ApacheSite's HTTPS. */
export interface TlsOptions {
  /** Where the certificate comes from: `TlsCertificate.acme(...)`, `.fromFiles(...)` or `.fromSsmParameters(...)`. */
  readonly certificate: TlsCertificate;
  /** @default 443 */
  readonly httpsPort?: number;
  /**
   * Send Strict-Transport-Security on every HTTPS response, so browsers never use plain HTTP again.
   * @default true
   */
  readonly hsts?: boolean;
  /**
   * HSTS max-age. Mozilla recommends two years, the most accepted here.
   * 0 tells browsers to forget the policy (for backing out of HSTS).
   * @default 63072000 (two years)
   */
  readonly hstsMaxAgeSec?: number;
  /** Add `includeSubDomains` to HSTS: every subdomain must then serve HTTPS too. @default false */
  readonly hstsIncludeSubdomains?: boolean;
  /** Add `preload` to HSTS (needs hstsIncludeSubdomains and a max-age of at least a year). @default false */
  readonly hstsPreload?: boolean;
  /** @default TlsProfile.INTERMEDIATE */
  readonly profile?: TlsProfile;
}

const EMAIL = /^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const HTTPS_URL = /^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~\/-]*)?$/;
const ABSOLUTE_PATH = /^\/[A-Za-z0-9._\/@+-]*[A-Za-z0-9._@+-]$/;
const SSM_ARN = /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/[A-Za-z0-9_.\/-]{1,2048}$/;

/**
 * Where an ApacheSite's HTTPS certificate comes from.
 *
 * - `acme`: Apache gets and renews it itself with mod_md (ACME http-01 on port 80).
 * - `fromFiles`: PEM files already on the host.
 * - `fromSsmParameters`: PEM text in two SSM parameters, fetched by root while provisioning.
 */
export class TlsCertificate {
  /** Apache obtains and renews a certificate for the site's ServerName and ServerAliases from an ACME CA. */
  public static acme(options: AcmeCertificateOptions): TlsCertificate {
    const where = 'TlsCertificate.acme';
    if (typeof options?.contactEmail !== 'string' || !EMAIL.test(options.contactEmail)) {
      throw new ValidationError(where, 'contactEmail', describeValue(options?.contactEmail), 'an email address such as "admin@example.com" (letters, digits and ._%+- before the @, a DNS name after it)');
    }
    if (options.acceptTermsOfService !== true) {
      throw new ValidationError(where, 'acceptTermsOfService', describeValue(options.acceptTermsOfService), 'true: the CA issues no certificate unless its terms of service are accepted');
    }
    const caUrl = options.caUrl ?? AcmeCa.LETS_ENCRYPT;
    if (typeof caUrl !== 'string' || !HTTPS_URL.test(caUrl)) {
      throw new ValidationError(where, 'caUrl', describeValue(caUrl), 'the https:// URL of an ACME directory, e.g. AcmeCa.LETS_ENCRYPT');
    }
    return new TlsCertificate({ source: 'acme', contactEmail: options.contactEmail, caUrl });
  }

  /**
   * A certificate and key already on the host, as PEM files: the certificate
   * file holds the certificate followed by its intermediate chain. Apache reads
   * them as root at start; renewing them is up to you (then reload Apache).
   */
  public static fromFiles(certificatePath: string, privateKeyPath: string): TlsCertificate {
    checkPath('TlsCertificate.fromFiles', 'certificatePath', certificatePath);
    checkPath('TlsCertificate.fromFiles', 'privateKeyPath', privateKeyPath);
    return new TlsCertificate({ source: 'files', certificateFile: certificatePath, privateKeyFile: privateKeyPath });
  }

  /**
   * PEM certificate (with chain) and key in two SSM parameters (SecureString),
   * by full ARN. The host role may read exactly these two; root fetches them
   * into root-only files while provisioning, so they are never in user data or logs.
   */
  public static fromSsmParameters(certificateParameterArn: string, privateKeyParameterArn: string): TlsCertificate {
    for (const [prop, arn] of [['certificateParameterArn', certificateParameterArn], ['privateKeyParameterArn', privateKeyParameterArn]]) {
      if (typeof arn !== 'string' || !SSM_ARN.test(arn)) {
        throw new ValidationError('TlsCertificate.fromSsmParameters', prop, describeValue(arn), 'the ARN of one SSM parameter, e.g. "arn:aws:ssm:eu-west-1:123456789012:parameter/mysite/tls-key" (no wildcards)');
      }
    }
    return new TlsCertificate({ source: 'ssm', certificateParameterArn, privateKeyParameterArn });
  }

  private constructor(private readonly source: CertificateSource) {}

  /**
   * The certificate as plain data for one site.
   * @internal
   */
  public _toSpec(
    site: IConstruct, names: { readonly siteName: string; readonly domains: readonly string[] }, profile: TlsProfile,
  ): TlsCertificateSpec {
    const source = this.source;
    switch (source.source) {
      case 'acme':
        names.domains.forEach((d, i) => checkAcmeDomain(site, i === 0 ? 'serverName' : `serverAliases[${i - 1}]`, d));
        return {
          source: 'acme', domains: names.domains, contactEmail: source.contactEmail, caUrl: source.caUrl,
          // Mozilla's modern profile expects ECDSA certificates.
          privateKeys: profile === TlsProfile.MODERN ? 'secp256r1' : undefined,
        };
      case 'files':
        return source;
      case 'ssm': {
        const dir = ssmCertificateDir(names.siteName);
        return { ...source, certificateFile: `${dir}/fullchain.pem`, privateKeyFile: `${dir}/privkey.pem` };
      }
    }
  }
}

type CertificateSource =
  | { readonly source: 'acme'; readonly contactEmail: string; readonly caUrl: string }
  | { readonly source: 'files'; readonly certificateFile: string; readonly privateKeyFile: string }
  | { readonly source: 'ssm'; readonly certificateParameterArn: string; readonly privateKeyParameterArn: string };

/** Root-only directory the SSM certificate of a site is written to. */
function ssmCertificateDir(siteName: string): string {
  return `/etc/cdktf-apache-wsgi/${siteName}/tls`;
}

function checkPath(where: string, prop: string, value: string): void {
  if (typeof value !== 'string' || !ABSOLUTE_PATH.test(value) || value.split('/').some((s) => s === '..' || s === '.')) {
    throw new ValidationError(where, prop, describeValue(value), 'an absolute path on the host such as "/etc/ssl/example.com/fullchain.pem" (letters, digits and ._@+-, no "..")');
  }
}

// A name a public CA issues for over http-01: DNS labels, an alphabetic top-level
// label, no wildcard (wildcards need dns-01) and no IP address.
const ACME_DOMAIN = /^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function checkAcmeDomain(site: IConstruct, prop: string, domain: string): void {
  checkConfString(site, prop, domain);
  if (!ACME_DOMAIN.test(domain) || domain.length > 253) {
    throw propError(site, prop, domain, 'a public DNS name such as "www.example.com" for an ACME certificate (no wildcard, IP address or single-label name such as "localhost")');
  }
}
