/**
 * submit_sm per second through the SMS adapter over one bind at windows 1, 10 and 50, beside a raw
 * `smpp` client pipelining up to the same window, against the same sandbox SMSC in the same run.
 * Loopback only; bounded by message count. Run after `npm run build`:
 *   node scripts/run.js bench/smpp/smpp.bench [messagesPerWindow]
 * Prints one line per window and ends with one JSON line for window 50.
 */
import { Logger } from '@nestjs/common';
import { ChannelEvent } from '@tsunagu/core';
import { addressOf, newPdu, relativeValidity, smpp, SmppPdu, SmsAdapter, SmsChannelOptions, SmsRouteConfig, splitSms } from '@tsunagu/channel-sms';
import { OutboundAttempt } from '@tsunagu/channels';
import { startSandboxSmsc } from '../../apps/sandbox/src/smsc';

const SYSTEM_ID = 'bench';
const PASSWORD = 'bench-pw';
const TEXT = 'Your verification code is 123456';

interface Figures {
  window: number;
  adapterPerS: number;
  rawPerS: number;
}

/** A plain client: one bind, submits pipelined up to `window`, counting resps. */
async function rawRun(port: number, window: number, total: number): Promise<number> {
  const session = smpp.connect({ host: '127.0.0.1', port });
  session.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    session.on('connect', () =>
      session.send(newPdu('bind_transceiver', { system_id: SYSTEM_ID, password: PASSWORD, interface_version: 0x34 }), (resp: SmppPdu) =>
        resp.command_status === 0 ? resolve() : reject(new Error('raw bind refused')),
      ),
    );
  });
  const body = splitSms(TEXT).parts[0];
  let sent = 0;
  let done = 0;
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (sent < total && sent - done < window) {
        sent++;
        // The same fields the adapter sends, so the SMSC side does the same work for both.
        const pdu = newPdu('submit_sm', {
          service_type: '',
          ...addressOf('0005123456'),
          dest_addr_ton: 1,
          dest_addr_npi: 1,
          destination_addr: `8190${String(sent).padStart(8, '0')}`,
          esm_class: 0,
          registered_delivery: 1,
          data_coding: 0,
          validity_period: relativeValidity(300),
          short_message: body,
        });
        session.send(pdu, () => {
          done++;
          if (done === total) resolve();
          else pump();
        });
      }
    };
    pump();
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await new Promise<void>((resolve) => session.destroy(() => resolve()));
  return total / seconds;
}

/** The adapter on one bind with this window, `window` concurrent senders, as the worker would call it. */
async function adapterRun(port: number, window: number, total: number): Promise<number> {
  const route: SmsRouteConfig = {
    name: 'bench', kind: 'domestic_direct', carriers: [], host: '127.0.0.1', port, systemId: SYSTEM_ID, password: PASSWORD,
    binds: 1, window, throughputPerSecond: 0, enquireLinkSeconds: 30, maxSegments: 10, defaultSender: '0005123456',
  };
  const options: SmsChannelOptions = { routes: [route], autoStart: false, timing: { windowWaitMs: 30000 } };
  const sink = { ingest: async (_events: ChannelEvent[]) => undefined };
  const adapter = new SmsAdapter(options, sink);
  adapter.start();
  if (!(await adapter.ready(5000))) throw new Error('adapter did not bind');
  let next = 0;
  const attempt = (i: number): OutboundAttempt => ({
    attemptId: `a${i}`, messageId: `m${i}`, tenantId: 't', category: 'otp', to: { phoneE164: `+8190${String(i).padStart(8, '0')}` },
    text: TEXT, sender: null, timeoutSeconds: 300, allowInternational: false,
  });
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: window }, async () => {
      while (next < total) await adapter.send(attempt(next++));
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await adapter.close();
  return total / seconds;
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<Figures[]> {
  const total = Number(argv[0] ?? 5000) || 5000;
  Logger.overrideLogger(['error', 'warn']); // bind chatter would interleave with the figures
  const smsc = await startSandboxSmsc({ systemId: SYSTEM_ID, password: PASSWORD, defaultOutcome: 'no_receipt', maxRecords: 50_000 });
  const figures: Figures[] = [];
  try {
    await rawRun(smsc.port, 10, 1000); // warm-up: JIT both sides before measuring
    await adapterRun(smsc.port, 10, 1000);
    for (const window of [1, 10, 50]) {
      smsc.control.reset();
      const rawPerS = await rawRun(smsc.port, window, total);
      smsc.control.reset();
      const adapterPerS = await adapterRun(smsc.port, window, total);
      figures.push({ window, adapterPerS, rawPerS });
      console.log(
        `smpp window=${String(window).padStart(2)}  adapter ${adapterPerS.toFixed(0).padStart(6)} submit/s  raw ${rawPerS.toFixed(0).padStart(6)} submit/s  ` +
          `ratio ${((100 * adapterPerS) / rawPerS).toFixed(0)}%  (${total} messages, one bind, loopback)`,
      );
    }
  } finally {
    await smsc.close();
  }
  const w50 = figures.find((f) => f.window === 50) as Figures;
  console.log(JSON.stringify({ bench: 'smpp', window: 50, adapter_per_s: Math.round(w50.adapterPerS), raw_per_s: Math.round(w50.rawPerS) }));
  return figures;
}

// Run directly, or through scripts/run.js (which require()s this file from dist/).
const launcher = require.main?.filename ?? '';
if (require.main === module || /[\\/]scripts[\\/]run\.js$/.test(launcher)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
