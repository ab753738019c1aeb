export * from './sandbox-smsc';
export * from './smsc.types';
export { smscControlRouter } from './smsc-control.router';
