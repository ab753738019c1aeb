export * from './queues';
export * from './job-options';
