export * from './detect';
export * from './venv-builder';
export * from './local-runner';
export * from './load-apps';
