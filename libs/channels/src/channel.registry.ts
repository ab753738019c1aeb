import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { ChannelName, DomainError } from '@tsunagu/core';
import { ChannelAdapterInstance, ChannelTraits } from './channel-adapter';
import { CHANNEL_ADAPTER_METADATA } from './channel-adapter.decorator';

export class ChannelBootError extends Error {
  override name = 'ChannelBootError';
}

/**
 * Collects every `@ChannelAdapter()` provider at boot. Two adapters claiming one name stop
 * start-up; so does a configured policy naming a channel that has no adapter.
 */
@Injectable()
export class ChannelRegistry implements OnApplicationBootstrap {
  private readonly adapters = new Map<ChannelName, ChannelAdapterInstance>();
  private collected = false;
  private traitsByChannel: Readonly<Record<ChannelName, ChannelTraits>> | null = null;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
  ) {}

  onApplicationBootstrap(): void {
    this.collect();
  }

  /** Registers adapters by hand (tools and tests that run without Nest discovery). */
  static of(adapters: ChannelAdapterInstance[]): ChannelRegistry {
    const registry = Object.create(ChannelRegistry.prototype) as ChannelRegistry;
    Object.assign(registry, { adapters: new Map(), collected: true });
    for (const adapter of adapters) registry.add(adapter, adapter.constructor.name);
    return registry;
  }

  get(channel: ChannelName): ChannelAdapterInstance {
    this.collect();
    const adapter = this.adapters.get(channel);
    if (!adapter) {
      throw new DomainError('UNKNOWN_CHANNEL', `No adapter is registered for channel "${channel}".`, { channel });
    }
    return adapter;
  }

  has(channel: ChannelName): boolean {
    this.collect();
    return this.adapters.has(channel);
  }

  names(): ChannelName[] {
    this.collect();
    return [...this.adapters.keys()];
  }

  /** Asked on every decision: made once, and again only when an adapter is added. Read-only. */
  traits(): Readonly<Record<ChannelName, ChannelTraits>> {
    this.collect();
    this.traitsByChannel ??= Object.freeze(Object.fromEntries([...this.adapters].map(([name, a]) => [name, a.traits])));
    return this.traitsByChannel;
  }

  /** Boot check for configured policies: every channel they name must have an adapter. */
  assertKnown(channels: Iterable<ChannelName>, where: string): void {
    for (const channel of channels) {
      if (!this.has(channel)) {
        throw new ChannelBootError(
          `${where} names channel "${channel}", but no adapter is registered for it. ` +
            `Registered: ${this.names().join(', ') || '(none)'}. Enable the channel's module or remove it from the policy.`,
        );
      }
    }
  }

  private collect(): void {
    if (this.collected) return;
    this.collected = true;
    for (const wrapper of this.discovery.getProviders()) {
      const { instance, metatype } = wrapper;
      if (!instance || !metatype) continue;
      const channel = this.reflector.get<string | undefined>(CHANNEL_ADAPTER_METADATA, metatype);
      if (channel) this.add(instance as ChannelAdapterInstance, metatype.name, channel);
    }
  }

  private add(adapter: ChannelAdapterInstance, className: string, channel: ChannelName = adapter.channel): void {
    this.traitsByChannel = null;
    const existing = this.adapters.get(channel);
    if (existing) {
      throw new ChannelBootError(
        `Two adapters claim channel "${channel}": ${existing.constructor.name} and ${className}. ` +
          `Give each adapter its own @ChannelAdapter('name') or import only one of their modules.`,
      );
    }
    if (adapter.channel !== channel) {
      throw new ChannelBootError(
        `${className} is decorated @ChannelAdapter('${channel}') but reports channel "${adapter.channel}".`,
      );
    }
    this.adapters.set(channel, adapter);
  }
}
