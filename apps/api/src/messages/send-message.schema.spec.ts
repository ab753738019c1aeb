import { DomainError } from '@tsunagu/core';
import { MessageRequest } from '@tsunagu/engine';
import { SchemaPipe } from '../http/schema.pipe';
import { PHONE_HARD_CAP, SEND_MESSAGE_SCHEMA } from './send-message.schema';

const pipe = new SchemaPipe<MessageRequest>(SEND_MESSAGE_SCHEMA);
const valid = { to: { phone: '+819012345678' }, category: 'transactional', text: 'ご予約は明日10時です。' };

function refusal(body: unknown): { code: string; problems: string[] } {
  try {
    pipe.transform(body);
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    const e = err as DomainError;
    return { code: e.code, problems: (e.details?.problems as string[]) ?? [] };
  }
  throw new Error('the body was accepted');
}

describe('POST /v1/messages body schema', () => {
  it('passes a minimal body and a full one through unchanged', () => {
    expect(pipe.transform(valid)).toBe(valid);
    const full = {
      ...valid,
      to: { phone: '09012345678', lineUserId: 'U1234' },
      rcs: { richCard: {} },
      line: [{ type: 'text', text: 'hi' }],
      channels: ['sms', 'line'],
      timeouts: { sms: 30 },
      successOn: 'read',
      sendAt: '2026-12-01T09:00:00+09:00',
      expiresAt: '2026-12-01T12:00:00+09:00',
      sender: 'TSUNAGU',
      callbackUrl: 'https://crm.example.com/cb',
      metadata: { reference: 'A-1' },
    };
    expect(pipe.transform(full)).toBe(full);
  });

  it('takes null for an optional field as "not given"', () => {
    expect(pipe.transform({ ...valid, sender: null, channels: null, to: { phone: '+819012345678', lineUserId: null } })).toBeTruthy();
  });

  it('refuses fields it does not name, at the top and inside `to`, as UNKNOWN_FIELD', () => {
    expect(refusal({ ...valid, tenantId: 'x' })).toEqual({ code: 'UNKNOWN_FIELD', problems: ['property tenantId should not exist'] });
    expect(refusal({ ...valid, to: { phone: '+819012345678', email: 'a@b' } })).toEqual({
      code: 'UNKNOWN_FIELD',
      problems: ['property to.email should not exist'],
    });
  });

  it('names each wrong field by its path, never its value', () => {
    const { code, problems } = refusal({ to: { phone: 819012345678 }, category: 'spam', text: 'x'.repeat(5001), line: [1], channels: 'sms' });
    expect(code).toBe('INVALID_REQUEST');
    expect(problems).toEqual(
      expect.arrayContaining([
        'to.phone must be string',
        'category must be one of: otp, transactional, marketing',
        'text must NOT have more than 5000 characters',
        'line[0] must be object',
        'channels must be array',
      ]),
    );
    expect(problems.join(' ')).not.toContain('819012345678');
  });

  it('leaves an over-long phone to the phone parser (422 INVALID_PHONE_NUMBER) and only hard-caps an absurd one', () => {
    const threeHundredDigits = { ...valid, to: { phone: '9'.repeat(300) } };
    expect(pipe.transform(threeHundredDigits)).toBe(threeHundredDigits);
    const { code, problems } = refusal({ ...valid, to: { phone: '9'.repeat(PHONE_HARD_CAP + 1) } });
    expect(code).toBe('INVALID_REQUEST');
    expect(problems).toEqual([`to.phone must NOT have more than ${PHONE_HARD_CAP} characters`]);
  });

  it('refuses a missing body and missing required fields', () => {
    expect(refusal(undefined).code).toBe('INVALID_REQUEST');
    expect(refusal({ category: 'otp' }).problems).toEqual(expect.arrayContaining(['to is required', 'text is required']));
    expect(refusal({ ...valid, to: {} }).problems).toEqual(['to.phone is required']);
    expect(refusal({ ...valid, line: Array.from({ length: 6 }, () => ({ type: 'text' })) }).problems).toEqual(['line must NOT have more than 5 items']);
  });
});
