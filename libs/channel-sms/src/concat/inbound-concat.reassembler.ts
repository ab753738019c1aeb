import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { ChannelEventSink } from '@tsunagu/channels';
import type { ChannelEvent } from '@tsunagu/core';
import { moEvents } from '../deliver.handler';
import type { SmsRouteConfig } from '../route.selector';
import { joinParts } from './concat-header.parser';
import { ClaimedGroup, InboundPart, InboundPartsStore, PartGroupKey } from './inbound-parts.store';

/**
 * Joins long SMS replies from their parts, as Kannel and Jasmin do, but with the parts in
 * PostgreSQL so that any worker's bind may take any part and a restart loses none. A reply whose
 * parts do not all come within the window is still handed on, as the parts that came, marked
 * incomplete: nothing the SMSC was told we took is dropped.
 */
export class InboundConcatReassembler {
  private readonly logger = new Logger('InboundConcat');
  private sweepTimer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;

  constructor(
    private readonly store: InboundPartsStore,
    private readonly sink: ChannelEventSink,
    private readonly routes: ReadonlyMap<string, SmsRouteConfig>,
    private readonly stopWords: readonly string[],
    private readonly sweepEveryMs: number,
  ) {}

  /**
   * Stores the part, then joins its reply if it is complete. Resolves once the part is committed
   * (the bind answers ESME_ROK only then); rejects when it could not be stored or the joined
   * reply was refused, and the SMSC offers the part again.
   */
  async accept(part: InboundPart): Promise<void> {
    await this.store.add(part);
    // A repeat too: an earlier join of this reply may have been refused.
    await this.joinIfReady(part);
  }

  /** Runs the sweep every `sweepEveryMs`: replies complete but not handed on, and replies past their time. */
  start(): void {
    if (this.sweepTimer) return;
    this.sweepTimer = setInterval(() => void this.sweep(), this.sweepEveryMs);
    this.sweepTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    await this.sweeping;
  }

  /** One pass; overlapping calls share it. */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce()
      .catch((err: Error) => this.logger.warn(`sweep of waiting SMS parts failed: ${err.message}`))
      .finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    for (const key of await this.store.due()) {
      // Another route's parts (a worker configured differently) are left to a worker that has it.
      if (this.routes.has(key.account)) await this.joinIfReady(key).catch(() => undefined);
    }
    await this.store.purge();
  }

  private async joinIfReady(key: PartGroupKey): Promise<void> {
    const group = await this.store.claim(key);
    if (!group) return;
    try {
      await this.sink.ingest(this.eventsOf(group));
    } catch (err) {
      await this.store.release(group).catch(() => undefined); // else its lease lapses
      throw err;
    }
    await this.store.finish(group);
  }

  private eventsOf(group: ClaimedGroup): ChannelEvent[] {
    const route = this.routes.get(group.account) as SmsRouteConfig;
    const joined = joinParts(group.parts, group.total);
    if (!joined.complete) this.logger.warn(`long SMS reply on ${group.account} handed on incomplete: ${joined.partsReceived} of ${group.total} parts came in time`);
    // The same parts always give the same id: a join handed on twice (a lease that lapsed) is one message.
    const id = createHash('sha256')
      .update([group.account, group.sourceAddr, group.destinationAddr, group.ref, group.total, group.firstReceivedAt.toISOString(), group.ids.length].join('\u0000'))
      .digest('hex')
      .slice(0, 32);
    const mo = { sourceAddr: group.sourceAddr, sourceTon: group.sourceTon, recipient: group.destinationAddr, text: joined.hasText ? joined.text : null };
    const raw = {
      dataCoding: group.dataCodings[0],
      parts: group.total,
      ...(joined.complete ? {} : { incomplete: true, partsReceived: joined.partsReceived }),
    };
    return moEvents(route, mo, `mo-${id}`, group.firstReceivedAt, this.stopWords, raw);
  }
}
