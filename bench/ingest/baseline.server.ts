/**
 * The no-framework baseline: `node:http` and a `pg` Pool of the api's size doing the durable work
 * of one accept — parse the JSON, then one transaction writing the idempotency row, the contact and
 * its conversation, the message and its `accepted` event, then (after the commit) the dispatchers' NOTIFY (the message row, due now, is its first job),
 * and 202 once it commits. Statement for statement what AcceptMessageService writes; no auth, no
 * validation, no ORM, no middleware. What the api does beyond this is what the ratio prices.
 */
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import getRawBody from 'raw-body';
import { newId } from '@tsunagu/core';

export interface BaselineServer {
  url: string;
  http: Server;
  close(): Promise<void>;
}

interface Body {
  to?: { phone?: string };
  category?: string;
  text?: string;
  metadata?: { reference?: unknown };
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startBaseline(databaseUrl: string, poolSize: number): Promise<BaselineServer> {
  const pool = new Pool({ connectionString: databaseUrl, max: poolSize, application_name: 'tsunagu-bench-baseline' });
  pool.on('error', () => undefined);
  const tenantId = newId();
  await pool.query(`INSERT INTO tenants (id, name) VALUES ($1, $2)`, [tenantId, `bench-baseline-${randomBytes(3).toString('hex')}`]);
  const dataKey = randomBytes(32);

  async function accept(key: string, body: Body): Promise<{ status: number; body: unknown }> {
    const raw = String(body.to?.phone ?? '').replace(/\D/g, '');
    const e164 = `+81${raw.replace(/^0/, '')}`;
    // The same shape of work as PhoneCipher: AES-256-GCM for the number, a keyed HMAC as its blind index.
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
    const enc = Buffer.concat([iv, cipher.update(e164, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    const bidx = createHmac('sha256', dataKey).update(`${tenantId}:${e164}`).digest('hex');
    const hash = createHmac('sha256', 'req').update(JSON.stringify(body)).digest('hex');
    const messageId = newId();
    const reply = { id: messageId, status: 'accepted' };
    const now = new Date();

    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const claimed = await client.query(
        `INSERT INTO idempotency_keys (tenant_id, key, request_hash, message_id, response_status, response_body)
         VALUES ($1, $2, $3, $4, 202, $5) ON CONFLICT DO NOTHING RETURNING 1`,
        [tenantId, key, hash, messageId, JSON.stringify(reply)],
      );
      if (claimed.rowCount === 0) {
        await client.query('ROLLBACK');
        return { status: 409, body: { code: 'IDEMPOTENCY_KEY_REUSED' } };
      }
      const contact = await client.query<{ contact_id: string; conversation_id: string }>(
        `WITH c AS (
           INSERT INTO contacts (id, tenant_id, phone_enc, phone_bidx) VALUES ($1, $2, $3, $4)
           ON CONFLICT (tenant_id, phone_bidx) DO UPDATE SET updated_at = contacts.updated_at
           RETURNING id
         ), conv AS (
           INSERT INTO conversations (id, tenant_id, contact_id) SELECT $5, $2, id FROM c
           ON CONFLICT (contact_id) DO UPDATE SET last_activity_at = now()
           RETURNING id, contact_id
         )
         SELECT conv.contact_id, conv.id AS conversation_id FROM conv`,
        [newId(), tenantId, enc, bidx, newId()],
      );
      const { contact_id, conversation_id } = contact.rows[0];
      const reference = typeof body.metadata?.reference === 'string' ? body.metadata.reference : null;
      await client.query(
        `INSERT INTO messages (id, tenant_id, contact_id, conversation_id, direction, category, status, text, plan, metadata, crm_ref, due_at)
         VALUES ($1, $2, $3, $4, 'outbound', $5, 'accepted', $6, $7, $8, $9, $10)`,
        [
          messageId,
          tenantId,
          contact_id,
          conversation_id,
          body.category,
          body.text,
          JSON.stringify({ channels: ['rcs', 'sms', 'line'], timeouts: { rcs: 60, sms: 600, line: 86400 } }),
          body.metadata ? JSON.stringify(body.metadata) : null,
          reference,
          now,
        ],
      );
      await client.query(
        `INSERT INTO events (id, tenant_id, message_id, source, type, status, occurred_at) VALUES ($1, $2, $3, 'api', 'accepted', 'accepted', now())`,
        [newId(), tenantId, messageId],
      );
      await client.query('COMMIT');
      // The message row is its own first job (due_at = now): the dispatchers are woken after the
      // commit, without waiting for a flush, as the engine does (a NOTIFY inside the transaction
      // would serialize the commits on PostgreSQL's notify lock).
      await client.query(`BEGIN; SET LOCAL synchronous_commit = off; SELECT pg_notify('tsunagu_due', ''); COMMIT`);
      return { status: 202, body: reply };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/messages') return answer(res, 404, { code: 'NOT_FOUND' });
    const key = req.headers['idempotency-key'];
    getRawBody(req, { encoding: 'utf8' })
      .then((text) => {
        if (typeof key !== 'string' || key === '') return { status: 400, body: { code: 'IDEMPOTENCY_KEY_REQUIRED' } };
        let body: Body;
        try {
          body = JSON.parse(text) as Body;
        } catch {
          return { status: 400, body: { code: 'INVALID_JSON' } };
        }
        return accept(key, body);
      })
      .then(
        (r) => answer(res, r.status, r.body),
        () => answer(res, 500, { code: 'INTERNAL' }),
      );
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    http: server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
    },
  };
}
