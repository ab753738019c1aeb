import { loadConfig } from './load-config';

describe('TSUNAGU_PWNED_PASSWORDS_URL', () => {
  const base = { TSUNAGU_DATA_KEY: Buffer.alloc(32, 7).toString('base64') };
  const url = (value?: string) => loadConfig(value === undefined ? base : { ...base, TSUNAGU_PWNED_PASSWORDS_URL: value }).console.pwnedPasswordsUrl;

  it("is Have I Been Pwned's own when unset or empty (as compose passes it), and null for off", () => {
    expect(url()).toBe('https://api.pwnedpasswords.com');
    expect(url('')).toBe('https://api.pwnedpasswords.com');
    expect(url('off')).toBeNull();
  });

  it('takes a mirror without its trailing slash, and refuses anything but an http(s) URL at start-up', () => {
    expect(url('http://127.0.0.1:8089/')).toBe('http://127.0.0.1:8089');
    expect(url('https://pwned.internal.example/hibp')).toBe('https://pwned.internal.example/hibp');
    for (const bad of ['no', 'ftp://example.jp', 'OFF ']) expect(() => url(bad)).toThrow(/TSUNAGU_PWNED_PASSWORDS_URL/);
  });
});
