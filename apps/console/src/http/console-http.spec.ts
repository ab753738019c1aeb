import { strictTransport } from './console-http';

describe('strictTransport', () => {
  it.each([
    [false, undefined, null],
    [false, 'http://console.internal:3000', null],
    [true, undefined, 'max-age=31536000; includeSubDomains'],
    [false, 'https://console.example.jp', 'max-age=31536000; includeSubDomains'],
    [true, 'http://console.internal:3000', 'max-age=31536000; includeSubDomains'],
  ])('over TLS %s, public URL %s → %s', (secure, publicUrl, expected) => {
    expect(strictTransport(secure, publicUrl)).toBe(expected);
  });
});
