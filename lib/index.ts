export * from './errors';
// The providers' hosts are separate entry points (`cdktf-apache-wsgi/docker`,
// `cdktf-apache-wsgi/aws`) so this one loads with cdktf and constructs alone.
export * from './conf';
export * from './platform';
export * from './application-group';
export * from './app-secret';
export * from './log-level';
export * from './virtual-env';
export * from './apache-site';
export * from './daemon-process-options';
export * from './daemon-group';
export * from './wsgi-app';
export * from './local';
export * from './provision';
export * from './site-host';
export * from './app-profile';
export * from './tls';
export * from './container-site-host';
