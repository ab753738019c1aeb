export * from './sms-channel.module';
export * from './sms-channel.options';
export * from './sms.adapter';
export * from './bind.pool';
export type { BindState } from './smpp.bind';
export * from './encoding/gsm7.alphabet';
export * from './encoding/gsm7-packing';
export * from './encoding/sms-encoding.planner';
export * from './dlr.parser';
export * from './submit-status';
export * from './route.selector';
export * from './smpp-address';
export { handleDeliver } from './deliver.handler';
export type { DeliverOutcome } from './deliver.handler';
// The typed handle on the `smpp` package, shared with the sandbox SMSC.
export { smpp, newPdu, ESME } from './smpp/smpp.types';
export { coalesceTurn } from './smpp/turn-writes';
export type { SmppPdu, SmppSession, SmppServer } from './smpp/smpp.types';
