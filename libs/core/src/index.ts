export * from './domain-error';
export * from './channel-name';
export * from './states';
export * from './channel-event';
export * from './ids';
export * from './random-bytes';
export * from './within';
export * from './retry-after';
