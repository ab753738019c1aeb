export * from './contract-harness';
export * from './channel-contract';
