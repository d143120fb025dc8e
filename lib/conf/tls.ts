import { blank, comment, ConfNode, directive, section } from './model';

/**
 * HTTPS on the host itself, as plain data: where the certificate comes from,
 * the ports, HSTS and the TLS profile. Rendered by tlsServerConf and the
 * virtual host builder; the recipe reads it for modules, Listen and files.
 */
export interface TlsSpec {
  readonly certificate: TlsCertificateSpec;
  /** Port of the HTTPS virtual host. */
  readonly httpsPort: number;
  /** Strict-Transport-Security max-age; undefined: no HSTS header. */
  readonly hstsMaxAgeSec?: number;
  readonly hstsIncludeSubdomains: boolean;
  readonly hstsPreload: boolean;
  /** Mozilla Server Side TLS profile. */
  readonly profile: TlsProfileName;
}

export type TlsProfileName = 'intermediate' | 'modern';

/** Apache gets and renews the certificate itself (mod_md, ACME http-01). */
export interface AcmeCertificateSpec {
  readonly source: 'acme';
  /** Names on the certificate: ServerName first, then the aliases. */
  readonly domains: readonly string[];
  readonly contactEmail: string;
  /** ACME directory URL of the CA. */
  readonly caUrl: string;
  /** Key type mod_md generates (MDPrivateKeys); undefined: mod_md's default (RSA 2048). */
  readonly privateKeys?: string;
}

/** Certificate and key already on the host (installed by other means). */
export interface FileCertificateSpec {
  readonly source: 'files';
  /** PEM certificate, followed by its intermediate chain. */
  readonly certificateFile: string;
  readonly privateKeyFile: string;
}

/**
 * Certificate and key in SSM parameters: root fetches them into the files
 * below while provisioning (the recipe's ssmCertificate step), Apache reads the files.
 */
export interface SsmCertificateSpec {
  readonly source: 'ssm';
  readonly certificateParameterArn: string;
  readonly privateKeyParameterArn: string;
  readonly certificateFile: string;
  readonly privateKeyFile: string;
}

export type TlsCertificateSpec = AcmeCertificateSpec | FileCertificateSpec | SsmCertificateSpec;

/**
 * Mozilla Server Side TLS guidelines 6.0 for Apache with OpenSSL 3.0 (Debian 12):
 * intermediate = TLS 1.2 + 1.3 with ECDHE AEAD suites only; modern = TLS 1.3 only
 * (OpenSSL's TLS 1.3 suites are the recommended ones). X25519MLKEM768 needs OpenSSL 3.5.
 */
const PROFILES: Record<TlsProfileName, { protocol: readonly string[]; ciphers?: string }> = {
  intermediate: {
    protocol: ['-all', '+TLSv1.2', '+TLSv1.3'],
    ciphers: [
      'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256',
      'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
      'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
    ].join(':'),
  },
  modern: { protocol: ['-all', '+TLSv1.3'] },
};
const CURVES = 'X25519:prime256v1:secp384r1';

/** Server-wide TLS settings, and the managed domain when Apache does ACME itself. */
export function tlsServerConf(tls: TlsSpec, mdStoreDir: string | undefined): ConfNode[] {
  const profile = PROFILES[tls.profile];
  const nodes: ConfNode[] = [
    comment(`TLS: Mozilla "${tls.profile}" profile (guidelines 6.0).`),
    directive('SSLProtocol', ...profile.protocol),
  ];
  if (profile.ciphers) {
    nodes.push(directive('SSLCipherSuite', profile.ciphers));
  }
  nodes.push(
    directive('SSLOpenSSLConfCmd', 'Curves', CURVES),
    directive('SSLHonorCipherOrder', 'Off'),
    directive('SSLCompression', 'Off'),
    // Apache's ticket key lives as long as the process: tickets would undo forward secrecy.
    directive('SSLSessionTickets', 'Off'),
  );
  const cert = tls.certificate;
  if (cert.source === 'acme') {
    nodes.push(
      blank(),
      comment('Certificate from an ACME CA, obtained and renewed by mod_md (http-01 on the HTTP port).'),
    );
    if (mdStoreDir) {
      nodes.push(directive('MDStoreDir', mdStoreDir));
    }
    nodes.push(
      directive('MDCertificateAuthority', cert.caUrl),
      directive('MDCertificateAgreement', 'accepted'),
      directive('MDContactEmail', cert.contactEmail),
      directive('MDCAChallenges', 'http-01'),
    );
    if (cert.privateKeys) {
      nodes.push(directive('MDPrivateKeys', cert.privateKeys));
    }
    nodes.push(directive('MDomain', ...cert.domains));
  }
  return nodes;
}

/** The virtual host body lines that turn TLS on: engine, certificate files, HSTS. */
export function tlsVhostConf(tls: TlsSpec): ConfNode[] {
  const nodes: ConfNode[] = [directive('SSLEngine', 'on')];
  const cert = tls.certificate;
  if (cert.source !== 'acme') {
    nodes.push(directive('SSLCertificateFile', cert.certificateFile), directive('SSLCertificateKeyFile', cert.privateKeyFile));
  }
  const hsts = hstsValue(tls);
  if (hsts !== undefined) {
    nodes.push(section('IfModule', 'headers_module', [directive('Header', 'always', 'set', 'Strict-Transport-Security', hsts)]));
  }
  return nodes;
}

/** The Strict-Transport-Security header value, or undefined when HSTS is off. */
export function hstsValue(tls: TlsSpec): string | undefined {
  if (tls.hstsMaxAgeSec === undefined) {
    return undefined;
  }
  return [`max-age=${tls.hstsMaxAgeSec}`, ...(tls.hstsIncludeSubdomains ? ['includeSubDomains'] : []), ...(tls.hstsPreload ? ['preload'] : [])].join('; ');
}

/**
 * The plain-HTTP side: everything redirects permanently to the canonical HTTPS
 * URL, except ACME http-01 challenges, which must stay reachable over HTTP
 * (mod_md answers them before any redirect; the exclusion also covers other ACME clients).
 */
export function httpsRedirectConf(serverName: string, httpsPort: number): ConfNode[] {
  const origin = `https://${serverName}${httpsPort === 443 ? '' : `:${httpsPort}`}`;
  return [
    directive('RewriteEngine', 'On'),
    directive('RewriteCond', '%{REQUEST_URI}', '!^/[.]well-known/acme-challenge/'),
    directive('RewriteRule', '^(.*)$', `${origin}$1`, '[R=301,L]'),
  ];
}
