export * from './contract-harness';
export * from './channel-contract';
export * from './channel-error';
export * from './token-issuer.helper';
