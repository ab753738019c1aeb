import { LineTokenIssuer, LineTokenRefusal, recordedForm } from './line-token.issuer';

const BOT = `U${'e'.repeat(32)}`;
const OTHER = `U${'f'.repeat(32)}`;
const NOW = Date.UTC(2025, 0, 1);
const form = (over: Record<string, string> = {}) => ({ grant_type: 'client_credentials', client_id: '1650000001', client_secret: 'secret-1', ...over });

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof LineTokenRefusal) return `${err.status} ${err.error}`;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('LineTokenIssuer', () => {
  const channels = [
    { channelId: '1650000001', channelSecret: 'secret-1', botUserId: BOT },
    { channelId: '1650000002', channelSecret: 'secret-2', botUserId: OTHER, channelAccessToken: 'long-lived' },
    { channelSecret: 'secret-3', botUserId: `U${'0'.repeat(32)}` },
  ];

  it('issues a Bearer token for the channel id and secret, accepted until it expires', () => {
    const issuer = new LineTokenIssuer(channels, 60);
    const grant = issuer.issue(form(), NOW);
    expect(grant).toEqual({ access_token: expect.any(String), expires_in: 60, token_type: 'Bearer' });
    expect(issuer.check(`Bearer ${grant.access_token}`, NOW + 59_999)).toBe(BOT);
    expect(issuer.check(`Bearer ${grant.access_token}`, NOW + 60_000)).toBeNull();
    expect(issuer.check(`bearer ${grant.access_token}`, NOW)).toBeNull();
    expect(issuer.issued).toEqual({ '1650000001': 1 });
  });

  it("refuses wrong or missing credentials with LINE's OAuth errors", () => {
    const issuer = new LineTokenIssuer(channels);
    expect(refusal(() => issuer.issue(form({ client_secret: 'secret-2' })))).toBe('400 invalid_client');
    expect(refusal(() => issuer.issue(form({ client_id: '1650000009' })))).toBe('400 invalid_client');
    expect(refusal(() => issuer.issue(form({ client_secret: '' })))).toBe('400 invalid_request');
    expect(refusal(() => issuer.issue(form({ grant_type: 'password' })))).toBe('400 unsupported_grant_type');
    expect(refusal(() => issuer.issue(form({ client_assertion: 'x.y.z' })))).toBe('400 invalid_request');
    expect(refusal(() => issuer.issue(null))).toBe('400 invalid_request');
    expect(issuer.refusals).toBe(6);
  });

  it('expires issued tokens of one channel or all; issuedTokens keeps them for the log scan', () => {
    const issuer = new LineTokenIssuer(channels);
    const a = issuer.issue(form()).access_token;
    const b = issuer.issue(form({ client_id: '1650000002', client_secret: 'secret-2' })).access_token;
    expect(issuer.expire(OTHER)).toBe(1);
    expect([issuer.check(`Bearer ${a}`), issuer.check(`Bearer ${b}`)]).toEqual([BOT, null]);
    expect(issuer.expire()).toBe(1);
    expect(issuer.check(`Bearer ${a}`)).toBeNull();
    issuer.reset();
    expect(issuer.issuedTokens()).toEqual([a, b]);
    expect(issuer.issued).toEqual({});
  });

  it('records forms without their secrets', () => {
    expect(recordedForm(form({ client_assertion: 'x.y.z' }))).toEqual({ ...form(), client_secret: '[redacted]', client_assertion: '[redacted]' });
    expect(recordedForm(null)).toBeNull();
  });
});
