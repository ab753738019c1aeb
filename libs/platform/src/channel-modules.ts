import { DynamicModule } from '@nestjs/common';
import { TsunaguConfig } from '@tsunagu/config';

/** Which process builds the module: only workers hold provider connections (SMPP binds). */
export type ProcessRole = 'api' | 'worker';

/** A channel module factory: given the channel's block from the config, the Nest module. */
export type ChannelModuleFactory = (settings: unknown, config: TsunaguConfig, role: ProcessRole) => DynamicModule;

const factories = new Map<string, ChannelModuleFactory>();

/** Adding a channel: register its module factory here, under the key its config block uses. */
export function registerChannelModule(name: string, factory: ChannelModuleFactory): void {
  factories.set(name, factory);
}

/** The modules of the channels the configuration enables (a block with `enabled: false` is off). */
export function channelModules(config: TsunaguConfig, role: ProcessRole, extra: DynamicModule[] = []): DynamicModule[] {
  const modules: DynamicModule[] = [];
  for (const [name, settings] of Object.entries(config.channels)) {
    if ((settings as { enabled?: boolean } | null)?.enabled === false) continue;
    const factory = factories.get(name);
    if (!factory) {
      throw new Error(`The configuration enables channel "${name}", but no module is registered for it. Known: ${[...factories.keys()].join(', ') || '(none)'}.`);
    }
    modules.push(factory(settings, config, role));
  }
  return [...modules, ...extra];
}

