// The jsii entry point (Python bindings, API.md): the constructs, their props and
// enum-like classes. The npm package's entry points stay lib/index.ts, lib/aws.ts and
// lib/docker.ts; the TypeScript-only internals they export (lib/conf, lib/provision,
// lib/local, the platform catalogue helpers) are not part of this surface.
export * from './platform/platform';
export * from './application-group';
export * from './app-secret';
export * from './log-level';
export * from './virtual-env';
export * from './apache-site';
export * from './daemon-process-options';
export * from './daemon-group';
export * from './wsgi-app';
export * from './site-host';
export * from './app-profile';
export * from './tls';
export * from './container-site-host';
// The hosts keep their TypeScript entry points' names as submodules:
// `cdktf_apache_wsgi.aws.Ec2Host`, `cdktf_apache_wsgi.docker.DockerHost`.
export * as aws from './aws';
export * as docker from './docker';
