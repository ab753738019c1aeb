import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { ChannelsModule } from '@tsunagu/channels';
import { ConfigModule, loadConfig, loadStaffPassword } from '@tsunagu/config';
import { isUuid } from '@tsunagu/core';
import { DatabaseModule, ensureDatabase, runMigrations } from '@tsunagu/database';
import { EngineModule, REVIEW_LIST_MAX, SenderAdminService, TenantAdminService } from '@tsunagu/engine';
import { STAFF_PROVIDERS, StaffService } from '@tsunagu/console';

const USAGE = `usage: npm run cli -- <command>
  migrate                                   create the database if needed and run migrations
  tenant:create NAME [--callback-url URL] [--id UUID [--if-missing]]
                                            create a tenant; prints its callback secret, then its id on the last line
  tenant:rotate-callback-secret TENANT [--overlap-hours H]
                                            a new callback secret, printed once on the last line; the old one keeps signing beside it
                                            for H hours (24; 0 ends it at once, for a secret that leaked)
  tenant:set-callback-url TENANT URL|--none the tenant's default callback URL
  apikey:create TENANT --scopes a,b [--expires-days N] [--allow-networks CIDR,…]
                                            issue an API key (scopes: messages:send, messages:read, admin), valid N days
                                            (else until revoked), only from those networks (else any); prints it once, on the last line
  apikey:revoke KEY_ID                      revoke an API key by its public id (tsk_<id>_…)
  staff:create TENANT EMAIL --role ROLE     create a console account (roles: agent, supervisor, admin; TENANT is its id or name);
                                            the password comes from TSUNAGU_STAFF_PASSWORD, else one is generated and printed once, on the last line
  sender:list [--state STATE]               every organisation's senders (STATE: requested, approved, suspended), oldest first
  sender:approve SENDER_ID --reason TEXT [--routes a,b] [--by NAME]
                                            approve a sender once the carriers have screened it (audited as operator:NAME, else
                                            operator:<your login name>); an address is approved for one organisation at a time
  sender:suspend SENDER_ID --reason TEXT [--by NAME]
                                            suspend any organisation's sender`;

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function withEngine<T>(fn: (admin: TenantAdminService, senders: SenderAdminService) => Promise<T>): Promise<T> {
  const config = loadConfig();
  @Module({ imports: [ConfigModule.forRoot(config), DatabaseModule, ChannelsModule, EngineModule] })
  class CliModule {}
  const app = await NestFactory.createApplicationContext(CliModule, { logger: ['error'] });
  try {
    return await fn(app.get(TenantAdminService), app.get(SenderAdminService));
  } finally {
    await app.close();
  }
}

/** Who decides, for the audit log: `--by`, else the operator's login name. */
function operatorActor(rest: string[]): string {
  const by = flag(rest, '--by') ?? process.env.SUDO_USER ?? process.env.USER ?? process.env.LOGNAME ?? 'cli';
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(by)) throw new Error('--by takes a name of letters, digits and . _ @ - (64 at most).');
  return `operator:${by}`;
}

const SENDER_STATES = ['requested', 'approved', 'suspended'] as const;

async function withStaff<T>(fn: (staff: StaffService) => Promise<T>): Promise<T> {
  const config = loadConfig();
  @Module({ imports: [ConfigModule.forRoot(config), DatabaseModule], providers: STAFF_PROVIDERS })
  class StaffCliModule {}
  const app = await NestFactory.createApplicationContext(StaffCliModule, { logger: ['error'] });
  try {
    return await fn(app.get(StaffService));
  } finally {
    await app.close();
  }
}

async function main(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  switch (command) {
    case 'migrate': {
      const config = loadConfig();
      await ensureDatabase(config.databaseUrl);
      const ran = await runMigrations(config.databaseUrl);
      console.log(ran.length ? `applied: ${ran.join(', ')}` : 'database is up to date');
      return;
    }
    case 'tenant:create': {
      const name = rest[0];
      if (!name) throw new Error(USAGE);
      const id = flag(rest, '--id');
      if (id !== undefined && !isUuid(id)) throw new Error('--id takes a UUID (channel settings name tenants by id).');
      const result = await withEngine(async (a) => {
        // --if-missing: for set-up scripts that run on every start (the compose file).
        if (rest.includes('--if-missing') && id && (await a.exists(id))) return null;
        return a.createTenant(name, flag(rest, '--callback-url') ?? null, id);
      });
      if (!result) {
        console.log(`tenant ${id} exists`);
        console.log(id);
        return;
      }
      console.log(`callback signing secret (shown once): ${result.callbackSecret}`);
      console.log(result.id);
      return;
    }
    case 'tenant:rotate-callback-secret': {
      const tenantId = rest[0];
      const overlap = flag(rest, '--overlap-hours');
      if (!tenantId || !isUuid(tenantId) || (overlap !== undefined && !/^\d+(\.\d+)?$/.test(overlap))) throw new Error(USAGE);
      const rotated = await withEngine((a) => a.rotateCallbackSecret(tenantId, overlap === undefined ? 24 : Number(overlap)));
      console.log(rotated.previousUntil ? `the previous secret keeps signing beside the new one until ${rotated.previousUntil}` : 'the previous secret no longer signs');
      console.log('new callback signing secret (shown once):');
      console.log(rotated.callbackSecret);
      return;
    }
    case 'tenant:set-callback-url': {
      const [tenantId, url] = rest;
      if (!tenantId || !isUuid(tenantId) || !url || (url !== '--none' && !/^https?:\/\//.test(url))) throw new Error(USAGE);
      const { broughtForward } = await withEngine((a) => a.setCallbackUrl(tenantId, url === '--none' ? null : url));
      console.log(url === '--none' ? 'callback URL removed' : `callback URL set to ${url}; ${broughtForward} waiting callbacks retried now`);
      return;
    }
    case 'apikey:create': {
      const tenantId = rest[0];
      const scopes = (flag(rest, '--scopes') ?? '').split(',').filter(Boolean);
      if (!tenantId || scopes.length === 0) throw new Error(USAGE);
      const days = flag(rest, '--expires-days');
      if (days !== undefined && !/^\d+$/.test(days)) throw new Error(USAGE);
      const networks = (flag(rest, '--allow-networks') ?? '').split(',').filter(Boolean);
      const key = await withEngine((a) => a.createApiKey(tenantId, scopes, '', { expiresInDays: days === undefined ? undefined : Number(days), allowedNetworks: networks }));
      if (key.expiresAt) console.log(`expires ${key.expiresAt}`);
      console.log(`key id: ${key.id} (the key is shown once; store it now)`);
      console.log(key.token);
      return;
    }
    case 'apikey:revoke': {
      const id = rest[0];
      if (!id) throw new Error(USAGE);
      const revoked = await withEngine((a) => a.revokeApiKey(id));
      console.log(revoked ? `revoked ${id}` : `no active key ${id}`);
      return;
    }
    case 'staff:create': {
      const [tenant, email] = rest;
      const role = flag(rest, '--role') ?? 'agent';
      if (!tenant || !email || email.startsWith('--') || !['agent', 'supervisor', 'admin'].includes(role)) throw new Error(USAGE);
      const given = loadStaffPassword();
      const created = await withStaff(async (staff) => {
        const tenantId = await staff.tenantId(tenant);
        if (!tenantId) throw new Error(`no tenant ${tenant}`);
        return staff.create(tenantId, email, role as 'agent' | 'supervisor' | 'admin', given);
      });
      console.log(`created ${role} ${email.trim().toLowerCase()} (staff id ${created.id})`);
      if (!given) {
        console.log('password (shown once; they choose their own at their first sign-in):');
        console.log(created.password);
      }
      return;
    }
    case 'sender:list': {
      const state = flag(rest, '--state');
      if (state !== undefined && !(SENDER_STATES as readonly string[]).includes(state)) throw new Error(USAGE);
      const rows = await withEngine((_a, senders) => senders.listForReview(state as (typeof SENDER_STATES)[number] | undefined));
      for (const r of rows) console.log([r.id, r.tenantId, r.address, r.kind, r.state, r.routes.join(',') || '*', r.updatedBy].join('\t'));
      if (rows.length === 0) console.log('no senders');
      if (rows.length === REVIEW_LIST_MAX) console.log(`(the oldest ${REVIEW_LIST_MAX} only: filter with --state for the rest)`);
      return;
    }
    case 'sender:approve':
    case 'sender:suspend': {
      const id = rest[0];
      const reason = flag(rest, '--reason');
      if (!id || !isUuid(id) || !reason || reason.trim().length < 3) throw new Error(USAGE);
      const routes = flag(rest, '--routes');
      const action = command === 'sender:approve' ? 'approve' : 'suspend';
      const actor = operatorActor(rest);
      const done = await withEngine((_a, senders) =>
        senders.review(id, action, actor, { reason: reason.trim(), ...(action === 'approve' && routes !== undefined ? { routes: routes.split(',').filter(Boolean) } : {}) }),
      );
      console.log(`${done.address} is ${done.state} (${actor})`);
      return;
    }
    default:
      console.log(USAGE);
      if (command) process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
