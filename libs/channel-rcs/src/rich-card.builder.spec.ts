import { ChannelError } from '@tsunagu/channels';
import { buildAgentMessage, clip, RBM_TEXT_MAX } from './rich-card.builder';

const input = { text: 'ご予約は明日10時です', category: 'transactional' as const, timeoutSeconds: 90 };

function permanentCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ChannelError && err.kind === 'permanent') return err.code;
    throw err;
  }
  throw new Error('expected a permanent ChannelError');
}

describe('buildAgentMessage', () => {
  it('a plain text message with traffic type and ttl', () => {
    expect(buildAgentMessage(input)).toEqual({
      contentMessage: { text: 'ご予約は明日10時です' },
      messageTrafficType: 'TRANSACTION',
      ttl: '108s',
    });
    expect(buildAgentMessage({ ...input, category: 'otp' }).messageTrafficType).toBe('AUTHENTICATION');
    expect(buildAgentMessage({ ...input, category: 'marketing' }).messageTrafficType).toBe('PROMOTION');
    expect(buildAgentMessage({ ...input, timeoutSeconds: 0.2 }).ttl).toBe('6s');
  });

  it('text with suggestion chips', () => {
    const message = buildAgentMessage({
      ...input,
      rcs: { suggestions: [{ type: 'reply', text: 'OK' }, { type: 'dial', text: 'Call', phoneNumber: '+81312345678', postbackData: 'call' }] },
    });
    expect(message.contentMessage).toEqual({
      text: input.text,
      suggestions: [
        { reply: { text: 'OK', postbackData: 'OK' } },
        { action: { text: 'Call', postbackData: 'call', dialAction: { phoneNumber: '+81312345678' } } },
      ],
    });
  });

  it('a standalone rich card: its own description wins, media height defaults to MEDIUM', () => {
    const message = buildAgentMessage({
      ...input,
      rcs: {
        card: {
          title: 'T',
          description: 'D',
          mediaUrl: 'https://cdn.example.jp/a.png',
          mediaHeight: 'TALL',
          suggestions: [{ type: 'open_url', text: 'Open', url: 'https://example.jp' }],
        },
      },
    });
    expect(message.contentMessage).toEqual({
      richCard: {
        standaloneCard: {
          cardOrientation: 'VERTICAL',
          cardContent: {
            title: 'T',
            description: 'D',
            media: { height: 'TALL', contentInfo: { fileUrl: 'https://cdn.example.jp/a.png', forceRefresh: false } },
            suggestions: [{ action: { text: 'Open', postbackData: 'Open', openUrlAction: { url: 'https://example.jp' } } }],
          },
        },
      },
    });
    const plain = buildAgentMessage({ ...input, rcs: { card: { mediaUrl: 'https://cdn.example.jp/a.png' } } });
    expect(plain.contentMessage.richCard?.standaloneCard.cardContent).toEqual({
      description: input.text,
      media: { height: 'MEDIUM', contentInfo: { fileUrl: 'https://cdn.example.jp/a.png', forceRefresh: false } },
    });
  });

  it('a card showing a text longer than a description may be cuts it on a character, never inside an emoji, and says so', () => {
    const text = `${'あ'.repeat(1998)}🔐🔐🔐`;
    const card = buildAgentMessage({ ...input, text, rcs: { card: { title: 'T' } } }).contentMessage.richCard?.standaloneCard.cardContent;
    const description = card?.description ?? '';
    expect([...description]).toHaveLength(2000);
    expect(description.endsWith('あ🔐…')).toBe(true);
    expect(description).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    expect(clip('あい', 2)).toBe('あい');
  });

  it.each([
    [{ card: { mediaUrl: 'http://insecure.example/a.png' } }],
    [{ card: { title: 'x'.repeat(201) } }],
    [{ suggestions: [{ type: 'reply', text: 'x'.repeat(26) }] }],
    [{ suggestions: [{ type: 'open_url', text: 'Go' }] }],
    [{ suggestions: [{ type: 'open_url', text: 'Go', url: 'javascript:alert(1)' }] }],
    [{ suggestions: [{ type: 'dial', text: 'Call', phoneNumber: '03-1234-5678' }] }],
    [{ suggestions: [{ type: 'reply', text: 'OK', url: 'https://example.jp' }] }],
    [{ card: { suggestions: Array.from({ length: 5 }, () => ({ type: 'reply', text: 'a' })) } }],
    [{ carousel: [] }],
  ])('refuses invalid content %j as permanent rcs_content_invalid', (rcs) => {
    expect(permanentCode(() => buildAgentMessage({ ...input, rcs }))).toBe('rcs_content_invalid');
  });

  it('refuses an empty text, and a text over the RBM limit', () => {
    expect(permanentCode(() => buildAgentMessage({ ...input, text: '  ' }))).toBe('rcs_content_invalid');
    expect(permanentCode(() => buildAgentMessage({ ...input, text: 'あ'.repeat(RBM_TEXT_MAX + 1) }))).toBe('rcs_text_too_long');
    expect(buildAgentMessage({ ...input, text: '🔐'.repeat(RBM_TEXT_MAX) }).contentMessage.text).toHaveLength(RBM_TEXT_MAX * 2);
  });

  it('a card with nothing to show and no text is refused', () => {
    expect(permanentCode(() => buildAgentMessage({ ...input, text: '', rcs: { card: {} } }))).toBe('rcs_content_invalid');
  });
});
