import { Sandboxes } from '../../apps/sandbox/src/start-sandboxes';
import { sleep } from './infra';
import { Planned } from './mix';

/**
 * The person answers. SMS: an MO deliver_sm on a bound ESME, offered again (as an SMSC does) while
 * no ESME is bound, the engine refuses it, or no deliver_sm_resp comes back (the worker holding it
 * died, the bind dropped): the engine must take a redelivery as the same reply. LINE: a signed webhook, redelivered with the same
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
      } catch {
        // No ESME bound, or no resp within 10 s: offer it again.
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
