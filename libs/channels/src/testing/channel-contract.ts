import { randomUUID } from 'node:crypto';
import { InvalidInboundError } from '../channel-error';
import { ContactView, OutboundAttempt } from '../channel-adapter';
import { channelErrorOf } from './channel-error';
import { ChannelContractHarness } from './contract-harness';

function attemptFor(contact: ContactView, overrides: Partial<OutboundAttempt> = {}): OutboundAttempt {
  return {
    attemptId: randomUUID(),
    messageId: randomUUID(),
    tenantId: contact.tenantId,
    category: 'transactional',
    to: { phoneE164: contact.phoneE164, lineUserId: contact.lineUserId ?? null },
    text: 'ご予約は明日10時です / Your booking is tomorrow at 10:00',
    sender: null,
    timeoutSeconds: 60,
    allowInternational: false,
    ...overrides,
  };
}

/**
 * The contract every channel adapter passes against its sandbox stand-in (STYLE.md §9):
 * capability, send (success, retryable, permanent, unknown outcome), cancel, inbound
 * (valid, bad signature, malformed, duplicate), idempotency-key propagation.
 */
export function describeChannelContract(name: string, makeHarness: () => Promise<ChannelContractHarness>): void {
  describe(`channel contract: ${name}`, () => {
    let h: ChannelContractHarness;

    beforeAll(async () => {
      h = await makeHarness();
    });
    afterAll(async () => {
      await h?.close();
    });

    it('reports its traits and name', () => {
      expect(h.adapter.channel).toBe(name);
      expect(typeof h.adapter.traits.simBound).toBe('boolean');
      expect(typeof h.adapter.traits.idempotentSend).toBe('boolean');
    });

    it('answers capability for reachable and unreachable contacts', async () => {
      const yes = await h.adapter.capability(await h.reachableContact());
      expect(yes.reachable).toBe(true);
      expect(yes.checkedAt).toBeInstanceOf(Date);
      const no = await h.adapter.capability(await h.unreachableContact());
      expect(no.reachable).toBe(false);
      expect(no.reason).toMatch(/^[a-z_]+$/);
    });

    it('sends and passes the attempt id to the provider exactly once', async () => {
      const contact = await h.reachableContact();
      await h.scriptSend(contact, 'accept');
      const attempt = attemptFor(contact);
      const result = await h.adapter.send(attempt);
      expect(result.submittedAt).toBeInstanceOf(Date);
      expect(await h.receivedCount(attempt.attemptId)).toBe(1);
    });

    it('classifies a retryable provider failure', async () => {
      const contact = await h.reachableContact();
      await h.scriptSend(contact, 'retryable');
      const err = await channelErrorOf(() => h.adapter.send(attemptFor(contact)));
      expect(err.kind).toBe('retryable');
      expect(err.code).toMatch(/^[a-z0-9_]+$/);
    });

    it('classifies a permanent provider failure', async () => {
      const contact = await h.reachableContact();
      await h.scriptSend(contact, 'permanent');
      const err = await channelErrorOf(() => h.adapter.send(attemptFor(contact)));
      expect(err.kind).toBe('permanent');
      expect(err.code).toMatch(/^[a-z0-9_]+$/);
    });

    it('classifies an unknown outcome, or proves a resend reaches the person once', async () => {
      const contact = await h.reachableContact();
      await h.scriptSend(contact, 'unknown_outcome');
      const attempt = attemptFor(contact);
      if (h.adapter.traits.idempotentSend) {
        // A provider that applied the send but answered an error: the retry with the same key
        // must not produce a second message.
        await h.adapter.send(attempt).catch(() => undefined);
        await h.scriptSend(contact, 'accept');
        await h.adapter.send(attempt);
        expect(await h.receivedCount(attempt.attemptId)).toBe(1);
      } else {
        const err = await channelErrorOf(() => h.adapter.send(attempt));
        expect(err.kind).toBe('unknown_outcome');
      }
    });

    it('cancels an undelivered attempt as its protocol allows', async () => {
      const contact = await h.reachableContact();
      await h.scriptSend(contact, 'accept');
      const attempt = attemptFor(contact);
      const sent = await h.adapter.send(attempt);
      const result = await h.adapter.cancel({ ...attempt, providerMessageId: sent.providerMessageId });
      if (h.cancelRevokes) expect(result).toBe('revoked');
      else expect(['unsupported', 'revoked']).toContain(result);
    });

    it('turns valid inbound traffic into channel events, and a replay into the same ids', async () => {
      const contact = await h.reachableContact();
      await h.scriptSend(contact, 'accept');
      const attempt = attemptFor(contact);
      const sent = await h.adapter.send(attempt);
      if (h.sinkEventsFor) {
        const events = await h.sinkEventsFor(sent.providerMessageId ?? '', 10000);
        expect(events.length).toBeGreaterThan(0);
        return;
      }
      const request = await h.validInbound(attempt, sent.providerMessageId);
      const first = await h.adapter.parseInbound(request);
      expect(first.length).toBeGreaterThan(0);
      for (const event of first) expect(event.channel).toBe(name);
      const replay = await h.adapter.parseInbound(request);
      expect(replay.map((e) => e.providerEventId)).toEqual(first.map((e) => e.providerEventId));
    });

    it('refuses inbound traffic with a bad signature', async () => {
      if (!h.badSignatureInbound) return expect(h.sinkEventsFor).toBeDefined();
      const contact = await h.reachableContact();
      const attempt = attemptFor(contact);
      const request = await h.badSignatureInbound(attempt, 'x');
      await expect(h.adapter.parseInbound(request)).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
    });

    it('refuses malformed inbound traffic without crashing', async () => {
      const request = await h.malformedInbound();
      await expect(h.adapter.parseInbound(request)).rejects.toBeInstanceOf(InvalidInboundError);
    });

    it('reports health', async () => {
      const health = await h.adapter.health();
      expect(typeof health.up).toBe('boolean');
      expect(health.detail).toBeDefined();
    });
  });
}
