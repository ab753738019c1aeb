import { validateAgentMessage } from './agent-message.validator';
import { ttlOf } from './rbm-sandbox.state';

describe('validateAgentMessage', () => {
  it('accepts a text message and a standalone card', () => {
    expect(validateAgentMessage({ contentMessage: { text: 'hi' }, messageTrafficType: 'TRANSACTION', ttl: '60s' })).toBeNull();
    const card = {
      contentMessage: {
        richCard: { standaloneCard: { cardContent: { title: 'T', media: { height: 'MEDIUM', contentInfo: { fileUrl: 'https://x/a.png' } } } } },
        suggestions: [{ reply: { text: 'OK', postbackData: 'ok' } }, { action: { text: 'Go', postbackData: 'go', openUrlAction: { url: 'https://x' } } }],
      },
    };
    expect(validateAgentMessage(card)).toBeNull();
  });

  it.each([
    [null, /AgentMessage object/],
    [{}, /contentMessage is required/],
    [{ contentMessage: { text: 'a', richCard: {} } }, /exactly one/],
    [{ contentMessage: { text: '' } }, /non-empty/],
    [{ contentMessage: { text: 'a'.repeat(3073) } }, /3072/],
    [{ contentMessage: { richCard: { standaloneCard: { cardContent: {} } } } }, /title, a description or media/],
    [{ contentMessage: { richCard: { standaloneCard: { cardContent: { media: { height: 'HUGE' } } } } } }, /height/],
    [{ contentMessage: { text: 'a', suggestions: [{ reply: { text: 'a'.repeat(26), postbackData: 'x' } }] } }, /1 to 25/],
    [{ contentMessage: { text: 'a', suggestions: [{ action: { text: 'a', postbackData: 'x' } }] } }, /openUrlAction/],
    [{ contentMessage: { text: 'a' }, messageTrafficType: 'SPAM' }, /messageTrafficType/],
    [{ contentMessage: { text: 'a' }, ttl: '10 minutes' }, /duration/],
  ])('refuses %j', (body, problem) => {
    expect(validateAgentMessage(body)).toMatch(problem);
  });
});

describe('ttlOf', () => {
  it('reads ttl durations and expireTime', () => {
    expect(ttlOf({ ttl: '30s' })).toBe(30000);
    expect(ttlOf({ ttl: '1.5s' })).toBe(1500);
    expect(ttlOf({ expireTime: '2025-01-01T00:01:00Z' }, Date.UTC(2025, 0, 1))).toBe(60000);
    expect(ttlOf({})).toBeUndefined();
  });
});
