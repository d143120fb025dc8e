export * from './daemon-options';
export * from './platform';
export * from './version';
