export * from './plan';
export * from './quiet-hours';
export * from './next-step';
