import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { ContactView, OutboundAttempt } from '@tsunagu/channels';

/** A user id in LINE's shape: U + 32 hex. */
export function lineUserId(): string {
  return `U${randomBytes(16).toString('hex')}`;
}

/** A contact of tenant B (one LINE account, no PNP), linked unless told otherwise. */
export function contactB(userId: string | null = lineUserId()): ContactView {
  return { tenantId: 'tenant-b', contactId: randomUUID(), phoneE164: '+819011112222', lineUserId: userId, optOuts: [] };
}

export function attemptFor(contact: ContactView, over: Partial<OutboundAttempt> = {}): OutboundAttempt {
  return {
    attemptId: randomUUID(),
    messageId: randomUUID(),
    tenantId: contact.tenantId,
    category: 'transactional',
    to: { phoneE164: contact.phoneE164, lineUserId: contact.lineUserId ?? null },
    text: 'ご予約は明日10時です',
    timeoutSeconds: 60,
    allowInternational: false,
    ...over,
  };
}

/** A port nothing listens on: bound, noted, released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
