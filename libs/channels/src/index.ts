export * from './channel-adapter';
export * from './channel-error';
export * from './channel-adapter.decorator';
export * from './channel.registry';
export * from './channels.module';
export * from './event-sink';
export * from './renewing-token';
export * from './oauth-token-answer';
