import { Sandboxes } from '../../apps/sandbox/src/start-sandboxes';
import { sleep } from './infra';
import { Planned } from './mix';

/**
 * The person answers. SMS: an MO deliver_sm on a bound ESME, offered again (as an SMSC does) while
 * no ESME is bound or the engine refuses it. LINE: a signed webhook, redelivered with the same
 * webhookEventId (LINE's redelivery) while the engine does not answer 200.
 */
export async function injectReply(s: Sandboxes, p: Planned, sender: string): Promise<void> {
  if (!p.reply) return;
  const deadline = Date.now() + 90_000;
  if (p.reply.channel === 'sms') {
    while (Date.now() < deadline) {
      try {
        const { status } = await s.smsc.control.injectMo({ from: p.smscAddr, to: sender, text: p.reply.text });
        if (status === 0) return;
      } catch (err) {
        // No resp within 10 s: the engine may have it; offering it again could double it.
        if ((err as Error).message !== 'no ESME is bound') return;
      }
      await sleep(1000);
    }
    return;
  }
  const record = await s.line.control.message(p.lineUserId!, p.reply.text, { botUserId: s.credentials.line.botUserId });
  let status = record.status;
  while (status !== 200 && Date.now() < deadline) {
    await sleep(1000);
    status = (await s.line.control.redeliver(record.webhookEventId))?.status ?? null;
  }
}
