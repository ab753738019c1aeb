import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Client } from 'pg';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { NOTIFY, NotifyChannel } from './write-batch';

/**
 * Channels that say what another process changed, named in the payload (a tenant's id), for the
 * caches that keep a copy of it. Missed across a reconnect, a cache keeps its copy until it is
 * past fresh, as it would with no notification at all.
 */
export const CHANGED = {
  tenant: 'tsunagu_tenant_changed',
  /** An API key revoked: every api process's key cache forgets it (`ApiKeyGuard`). */
  apiKey: 'tsunagu_api_key_changed',
} as const;

/** Tells every process's cache that `id` changed (delivered when the caller's transaction commits, or at once outside one). */
export const announceSql = (channel: (typeof CHANGED)[keyof typeof CHANGED]) => `SELECT pg_notify('${channel}', $1)`;

type Channel = NotifyChannel | (typeof CHANGED)[keyof typeof CHANGED];

/**
 * One LISTEN connection per process, shared by whoever drains PostgreSQL-held work (the outbox
 * relay, the due-message dispatcher) and the caches told of changes (`CHANGED`). A work
 * notification only says "look now": each of them also polls, so a notification missed across a
 * reconnect costs a poll interval, never work.
 */
@Injectable()
export class WorkListener implements OnModuleDestroy {
  private client: Client | null = null;
  private readonly subscribers: { channel: Channel; fn: (payload: string) => void }[] = [];
  private started = false;
  private stopped = false;

  constructor(@Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig) {}

  subscribe(channel: Channel, fn: (payload: string) => void): void {
    this.subscribers.push({ channel, fn });
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stopped = false;
    await this.listen();
  }

  private async listen(): Promise<void> {
    const client = new Client({ connectionString: this.config.databaseUrl });
    client.on('error', () => undefined);
    client.on('end', () => {
      this.client = null;
      // Reconnect after PostgreSQL restarts; the pollers keep work moving meanwhile.
      this.retry();
    });
    try {
      await client.connect();
      client.on('notification', (n) => {
        for (const s of this.subscribers) if (s.channel === n.channel) s.fn(n.payload ?? '');
      });
      await client.query([...Object.values(NOTIFY), ...Object.values(CHANGED)].map((c) => `LISTEN ${c}`).join('; '));
      this.client = client;
    } catch {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      this.retry();
    }
  }

  private retry(): void {
    if (!this.stopped) setTimeout(() => void this.listen().catch(() => undefined), 1000).unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}
