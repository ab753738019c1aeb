import { generatePassword, hashPassword, verifyPassword } from './password';

describe('staff passwords (scrypt)', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const pw = generatePassword();
    const stored = await hashPassword(pw);
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(stored).not.toContain(pw);
    await expect(verifyPassword(pw, stored)).resolves.toBe(true);
    await expect(verifyPassword(`${pw}x`, stored)).resolves.toBe(false);
  });

  it('salts every hash', async () => {
    const pw = 'correct horse battery staple';
    expect(await hashPassword(pw)).not.toBe(await hashPassword(pw));
  });

  it('refuses short passwords and malformed or hostile stored hashes', async () => {
    await expect(hashPassword('short')).rejects.toThrow(/12 to 256/);
    await expect(verifyPassword('whatever-password', 'plain')).resolves.toBe(false);
    await expect(verifyPassword('whatever-password', 'scrypt$1073741824$8$1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')).resolves.toBe(false);
  });
});
