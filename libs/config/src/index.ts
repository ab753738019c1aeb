export * from './config.schema';
export * from './tsunagu-config';
export * from './load-config';
export * from './config.module';
export * from './in-process-config';
export * from './staff-password';
