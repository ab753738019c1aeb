export * from './logger';
export * from './nest-logger';
export * from './channel-modules';
export * from './builtin-channels';
export * from './shutdown';
