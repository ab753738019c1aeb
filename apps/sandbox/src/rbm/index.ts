export * from './sandbox-rbm';
export * from './rbm-sandbox.types';
export { RbmTokenIssuer, TokenRefusal, JWT_BEARER_GRANT } from './rbm-token.issuer';
export { validateAgentMessage } from './agent-message.validator';
