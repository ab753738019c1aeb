import { parseStatelessTokenAnswer } from './line-token.client';
import { lineSchemaValidator } from './testing/line-openapi.helper';

describe('parseStatelessTokenAnswer', () => {
  // What the spec itself says of the answer (channel-access-token.yml): the parse must accept what
  // it requires, and refuse what it does not allow.
  const spec = lineSchemaValidator('channel-access-token.yml')('IssueStatelessChannelAccessTokenResponse');

  it.each([
    [{ access_token: 'eyJhbGciOiJIUz.....', expires_in: 899, token_type: 'Bearer' }, true],
    [{ access_token: 'abc', expires_in: 900, token_type: 'Bearer', extra: 1 }, true],
    [{ expires_in: 900, token_type: 'Bearer' }, false],
    [{ access_token: 'abc', token_type: 'Bearer' }, false],
    [{ access_token: 'abc', expires_in: 900 }, false],
    [{ access_token: 1, expires_in: 900, token_type: 'Bearer' }, false],
    [{ access_token: 'abc', expires_in: 899.5, token_type: 'Bearer' }, false],
    [{ access_token: 'abc', expires_in: '900', token_type: 'Bearer' }, false],
  ])('%j: spec and parse agree (%s)', (body, valid) => {
    expect(spec(body)).toBe(valid);
    expect(parseStatelessTokenAnswer(JSON.stringify(body)).ok).toBe(valid);
  });

  it('is stricter than the schema where a token would be useless', () => {
    for (const body of [
      { access_token: '', expires_in: 900, token_type: 'Bearer' },
      { access_token: 'abc', expires_in: 0, token_type: 'Bearer' },
      { access_token: 'abc', expires_in: -5, token_type: 'Bearer' },
      { access_token: 'abc', expires_in: 2 ** 31, token_type: 'Bearer' },
      { access_token: 'abc', expires_in: 900, token_type: 'mac' },
    ]) {
      expect(parseStatelessTokenAnswer(JSON.stringify(body)).ok).toBe(false);
    }
  });

  it('reads the token and its life; the token type without case, as OAuth compares it', () => {
    expect(parseStatelessTokenAnswer('{"access_token":"abc","expires_in":900,"token_type":"bearer"}')).toEqual({
      ok: true,
      token: { accessToken: 'abc', expiresInSeconds: 900 },
    });
  });

  it('refuses what is not a JSON object, and never quotes the token in the reason', () => {
    for (const text of ['', '<html>', '[]', 'null', '"x"']) expect(parseStatelessTokenAnswer(text).ok).toBe(false);
    const bad = parseStatelessTokenAnswer('{"access_token":"secret-token-value","expires_in":"soon","token_type":"Bearer"}');
    expect(bad).toEqual({ ok: false, detail: 'expires_in is not a positive int32' });
  });
});
