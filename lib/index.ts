export * from './conf';
export * from './platform';
export * from './application-group';
export * from './log-level';
export * from './virtual-env';
export * from './apache-site';
export * from './daemon-group';
export * from './wsgi-app';
