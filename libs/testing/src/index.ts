export * from './test-database';
export * from './global-setup';
export * from './expect-eventually';
export * from './test-redis';
export * from './scripted-channel';
export * from './seed-traffic';
export * from './buffers-touched';
