export * from './sandbox-line';
export * from './sandbox-line.types';
export type { SandboxLineControl, SandboxLineInbound } from './line-control';
export { newLineUserId } from './line-control';
export { lineWireJson, signBody as signLineWebhookBody, ulid } from './line-webhook.dispatcher';
export { recipientKey as sandboxLineRecipientKey } from './line-sandbox.state';
