import { validateLineMessages } from './line-message.validator';

const ok = { ok: true };
const img = 'https://example.com/a.png';

describe('validateLineMessages', () => {
  it.each([
    ['text', [{ type: 'text', text: 'こんにちは' }]],
    ['sticker', [{ type: 'sticker', packageId: '446', stickerId: '1988' }]],
    ['image', [{ type: 'image', originalContentUrl: img, previewImageUrl: img }]],
    ['video', [{ type: 'video', originalContentUrl: 'https://example.com/v.mp4', previewImageUrl: img }]],
    ['audio', [{ type: 'audio', originalContentUrl: 'https://example.com/a.m4a', duration: 60000 }]],
    ['location', [{ type: 'location', title: '本社', address: '東京都千代田区', latitude: 35.68, longitude: 139.76 }]],
    [
      'imagemap',
      [{ type: 'imagemap', baseUrl: 'https://example.com/map', altText: 'map', baseSize: { width: 1040, height: 1040 }, actions: [{ type: 'uri', linkUri: 'https://example.com', area: { x: 0, y: 0, width: 520, height: 1040 } }] }],
    ],
    [
      'template',
      [{ type: 'template', altText: 'confirm', template: { type: 'confirm', text: 'OK?', actions: [{ type: 'message', label: 'Yes', text: 'yes' }, { type: 'message', label: 'No', text: 'no' }] } }],
    ],
    ['flex', [{ type: 'flex', altText: 'flex', contents: { type: 'bubble', body: { type: 'box', layout: 'vertical', contents: [] } } }]],
    ['five messages', Array.from({ length: 5 }, (_, i) => ({ type: 'text', text: `m${i}` }))],
    ['5000 characters', [{ type: 'text', text: 'あ'.repeat(5000) }]],
  ])('accepts %s', (_name, messages) => {
    expect(validateLineMessages(messages)).toEqual(ok);
  });

  it.each([
    ['no messages', [], 'messages: must NOT have fewer than 1 items'],
    ['six messages', Array.from({ length: 6 }, () => ({ type: 'text', text: 'x' })), 'messages: must NOT have more than 5 items'],
    ['not an array', { type: 'text', text: 'x' }, 'messages: must be array'],
    ['unknown type', [{ type: 'coupon', couponId: 'c' }], 'messages[0].type: must be one of'],
    ['missing type', [{ text: 'x' }], 'messages[0].type: must be specified'],
    ['text without text', [{ type: 'text' }], 'messages[0].text: must be specified'],
    ['empty text', [{ type: 'text', text: '' }], 'messages[0].text: must NOT have fewer than 1 characters'],
    ['5001 characters', [{ type: 'text', text: 'x'.repeat(5001) }], 'messages[0].text: must NOT have more than 5000 characters'],
    ['sticker without stickerId', [{ type: 'sticker', packageId: '1' }], 'messages[0].stickerId: must be specified'],
    ['image over http', [{ type: 'image', originalContentUrl: 'http://example.com/a.png', previewImageUrl: img }], 'messages[0].originalContentUrl'],
    ['audio without duration', [{ type: 'audio', originalContentUrl: img }], 'messages[0].duration: must be specified'],
    ['location without address', [{ type: 'location', title: 't', latitude: 1, longitude: 2 }], 'messages[0].address: must be specified'],
    ['template of unknown kind', [{ type: 'template', altText: 'a', template: { type: 'list' } }], 'messages[0].template.type: must be one of'],
    ['flex without contents', [{ type: 'flex', altText: 'a' }], 'messages[0].contents: must be specified'],
  ])('refuses %s', (_name, messages, expected) => {
    const result = validateLineMessages(messages);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.join('\n')).toContain(expected);
  });

  it('counts UTF-16 units, so 2500 emoji (5000 units) pass and one more fails', () => {
    expect(validateLineMessages([{ type: 'text', text: '🔐'.repeat(2500) }])).toEqual(ok);
    expect(validateLineMessages([{ type: 'text', text: '🔐'.repeat(2501) }]).ok).toBe(false);
  });

  it('never echoes the message text in its errors', () => {
    const result = validateLineMessages([{ type: 'text', text: `secret-${'x'.repeat(5000)}` }]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.join(' ')).not.toContain('secret-');
  });
});
