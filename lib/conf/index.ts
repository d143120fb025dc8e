export * from './model';
export * from './quote';
export * from './render';
export * from './site-spec';
export * from './site-conf';
export * from './standalone-conf';
export * from './layout';
export * from './tls';
