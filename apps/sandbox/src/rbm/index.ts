export * from './sandbox-rbm';
export * from './rbm-sandbox.types';
export { RbmTokenIssuer, TokenRefusal, JWT_BEARER_GRANT, TOKEN_OUTCOMES } from './rbm-token.issuer';
export type { TokenOutcome } from './rbm-token.issuer';
export { validateAgentMessage } from './agent-message.validator';
