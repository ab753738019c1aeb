import { ChannelError } from '../channel-error';

/**
 * The ChannelError a call was refused with. Fails the test when the call succeeded or threw
 * anything else, so an adapter that throws a plain Error (which the engine treats as a crash, not
 * as a refusal with a code) cannot pass a test that expects a refusal. Given a function, a
 * synchronous throw counts too, as it does where the engine awaits the call.
 */
export async function channelErrorOf(call: Promise<unknown> | (() => Promise<unknown>)): Promise<ChannelError> {
  const outcome: unknown = await (async () => (typeof call === 'function' ? call() : call))().then(
    () => new Error('expected a ChannelError, the call succeeded'),
    (err: unknown) => err,
  );
  if (!(outcome instanceof ChannelError)) throw outcome;
  return outcome;
}
