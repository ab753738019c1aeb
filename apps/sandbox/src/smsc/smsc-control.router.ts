import express, { NextFunction, Request, Response, Router } from 'express';
import type { MalformedPduKind, SandboxSmscControl, SmscFailMode, SmscOutcome } from './smsc.types';

const FAIL_MODES: readonly SmscFailMode[] = ['throttle', 'drop', 'early_receipt', 'receipt_with_resp', 'duplicate_receipts', 'malformed_receipts', 'refuse_binds', 'malformed_pdu', 'unbind', 'forget_binds'];
const PDU_KINDS: readonly MalformedPduKind[] = ['too_long', 'len8', 'len2', 'unknown_cmd', 'truncated'];

function bad(res: Response, message: string): void {
  res.status(400).json({ code: 'INVALID_REQUEST', message });
}

const isString = (v: unknown, max = 1000): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const isMs = (v: unknown): v is number | undefined => v === undefined || (typeof v === 'number' && v >= 0 && v <= 3_600_000);

/**
 * HTTP control of the sandbox SMSC, for the demo, e2e tests and the chaos soak:
 * `POST /mo {from,to,text}`, `POST /script {destination,outcome}`, `POST /fail {mode,durationMs,...}`,
 * `GET /records[?destination=]`, `POST /reset`. JSON only; nothing personal is logged.
 */
export function smscControlRouter(control: SandboxSmscControl): Router {
  const router = express.Router();
  router.use(express.json({ limit: '16kb' }));

  router.post('/mo', async (req: Request, res: Response) => {
    const { from, to, text } = (req.body ?? {}) as Record<string, unknown>;
    if (!isString(from, 20) || !isString(to, 20) || typeof text !== 'string' || text.length > 1000) {
      return bad(res, 'expected {from, to, text}');
    }
    try {
      res.json(await control.injectMo({ from, to, text }));
    } catch (err) {
      res.status(409).json({ code: 'CONFLICT', message: (err as Error).message });
    }
  });

  router.post('/script', (req: Request, res: Response) => {
    const { destination, outcome } = (req.body ?? {}) as Record<string, unknown>;
    if (!isString(destination, 20) || !isString(outcome, 40)) return bad(res, 'expected {destination, outcome}');
    try {
      control.script(destination, outcome as SmscOutcome);
      res.json({ ok: true });
    } catch (err) {
      bad(res, (err as Error).message);
    }
  });

  router.post('/fail', (req: Request, res: Response) => {
    const { mode, durationMs, count, dropAfterMs, kind } = (req.body ?? {}) as Record<string, unknown>;
    if (!FAIL_MODES.includes(mode as SmscFailMode)) return bad(res, `mode must be one of ${FAIL_MODES.join(', ')}`);
    if (!isMs(durationMs) || !isMs(dropAfterMs)) return bad(res, 'durations are milliseconds up to one hour');
    if (count !== undefined && !(Number.isInteger(count) && (count as number) >= 1 && (count as number) <= 100)) return bad(res, 'count is 1..100');
    if (kind !== undefined && !PDU_KINDS.includes(kind as MalformedPduKind)) return bad(res, `kind must be one of ${PDU_KINDS.join(', ')}`);
    control.fail({ mode: mode as SmscFailMode, durationMs, count: count as number | undefined, dropAfterMs, kind: kind as MalformedPduKind | undefined });
    res.json({ ok: true });
  });

  router.get('/records', (req: Request, res: Response) => {
    const destination = typeof req.query.destination === 'string' ? req.query.destination : undefined;
    const records = destination ? control.submitsTo(destination) : control.records();
    res.json({ total: control.submitCount(), bound: control.boundCount(), records: records.slice(-1000) });
  });

  router.post('/reset', (_req: Request, res: Response) => {
    control.reset();
    res.json({ ok: true });
  });

  // A body that is not JSON: 400 in the same shape, never the stack.
  router.use((err: Error, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    bad(res, 'invalid JSON body');
  });
  return router;
}
