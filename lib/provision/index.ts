export * from './shell';
export * from './recipe';
export * from './render-shell';
export * from './bundle';
export * from './cloud-init';
export * from './dockerfile';
