import { StaffRole } from '@tsunagu/database';
import { StaffService } from '../../apps/console/src/staff/staff.service';
import { ConsoleClient } from '../../apps/console/src/testing/console-client';
import { EngineHarness, post } from './engine-harness';

export const STAFF_PASSWORD = 'correct horse battery staple';

/** Staff accounts of an engine's tenants, and console sessions signed in as them. */
export function consoleStaff(h: EngineHarness) {
  const staff = h.api.get(StaffService);
  let tenantName: Promise<string> | undefined;
  const nameOf = () => (tenantName ??= h.query<{ name: string }>(`SELECT name FROM tenants WHERE id = $1`, [h.tenantId]).then((r) => r[0].name));

  /** A new account with `role`; its email. */
  async function account(role: StaffRole, tenantId = h.tenantId): Promise<string> {
    const email = `${role}-${Math.random().toString(36).slice(2, 8)}@example.jp`;
    await staff.create(tenantId, email, role, STAFF_PASSWORD);
    return email;
  }

  /** A session of a new account of the engine's tenant, past the sign-in redirect. */
  async function signedIn(role: StaffRole, headers: Record<string, string> = {}): Promise<ConsoleClient> {
    const client = new ConsoleClient(h.baseUrl, headers);
    const res = await client.signIn(await nameOf(), await account(role), STAFF_PASSWORD);
    expect(res.status).toBe(303);
    await client.get('/console/search');
    return client;
  }

  return { staff, account, signedIn, tenantName: nameOf };
}

/** A transactional message accepted for the engine's tenant; its id. */
export async function sendTransactional(h: EngineHarness, body: Record<string, unknown>): Promise<string> {
  const res = await post(h, '/v1/messages', { category: 'transactional', text: 'ご予約の確認です', ...body }, { 'idempotency-key': `k-${Math.random()}` });
  expect(res.status).toBe(202);
  return res.body.id as string;
}
