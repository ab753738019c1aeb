import { DynamicModule, Injectable, Module } from '@nestjs/common';
import {
  CancelResult,
  CapabilityResult,
  ChannelAdapter,
  ChannelAdapterInstance,
  ChannelHealth,
  ChannelTraits,
  InvalidInboundError,
  SendResult,
} from '@tsunagu/channels';
import { ChannelEvent } from '@tsunagu/core';

/** The channels' static facts, as in test/support/engine-harness.ts (the policy reads only these at accept time). */
export const BENCH_TRAITS: Record<string, ChannelTraits> = {
  rcs: { simBound: false, supportsCancel: true, supportsReadReceipts: true, idempotentSend: true, reportsDelivery: true, needsMobileNumber: true },
  sms: { simBound: true, supportsCancel: true, supportsReadReceipts: false, idempotentSend: false, reportsDelivery: true, needsMobileNumber: true },
  line: { simBound: false, supportsCancel: false, supportsReadReceipts: false, idempotentSend: true, reportsDelivery: true, needsMobileNumber: false },
};

function unused(channel: string, what: string): Error {
  return new Error(`The ingest bench runs no worker: ${channel}.${what}() should never be called.`);
}

/**
 * An adapter that only registers a channel name and its traits, so the api plans RCS → SMS → LINE
 * as in production. No worker runs in the bench, so nothing ever sends. It has no `checkLength` or
 * `planRoute`: the real SMS adapter's accept-time length and route checks are not measured.
 */
function nullChannelModule(channel: string, traits: ChannelTraits): DynamicModule {
  @ChannelAdapter(channel)
  @Injectable()
  class NullAdapter implements ChannelAdapterInstance {
    readonly channel = channel;
    readonly traits = traits;

    async capability(): Promise<CapabilityResult> {
      throw unused(channel, 'capability');
    }

    async send(): Promise<SendResult> {
      throw unused(channel, 'send');
    }

    async cancel(): Promise<CancelResult> {
      throw unused(channel, 'cancel');
    }

    async parseInbound(): Promise<ChannelEvent[]> {
      throw new InvalidInboundError('INVALID_PAYLOAD', `the bench ${channel} channel has no webhook`);
    }

    async health(): Promise<ChannelHealth> {
      return { up: true, detail: { bench: true } };
    }
  }

  @Module({ providers: [NullAdapter], exports: [NullAdapter] })
  class NullChannelModule {}

  return { module: NullChannelModule, providers: [NullAdapter] };
}

/** rcs, sms and line, each a null adapter. */
export function nullChannelModules(): DynamicModule[] {
  return Object.entries(BENCH_TRAITS).map(([name, traits]) => nullChannelModule(name, traits));
}
