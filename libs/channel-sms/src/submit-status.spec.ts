import { ChannelError } from '@tsunagu/channels';
import { classifySubmitStatus } from './submit-status';

describe('classifySubmitStatus', () => {
  it('returns null for ESME_ROK', () => {
    expect(classifySubmitStatus(0)).toBeNull();
  });

  it.each([
    [0x04, 'invalid_bind_status'],
    [0x08, 'smsc_system_error'],
    [0x14, 'smsc_queue_full'],
    [0x58, 'throttled'],
    [0x64, 'smsc_temporary_error'],
  ])('treats 0x%s as retryable (%s)', (status, code) => {
    const err = classifySubmitStatus(status);
    expect(err).toBeInstanceOf(ChannelError);
    expect(err).toMatchObject({ kind: 'retryable', code });
  });

  it('gives throttling a retry delay', () => {
    expect(classifySubmitStatus(0x58, 2500)?.retryAfterMs).toBe(2500);
    expect(classifySubmitStatus(0x14)?.retryAfterMs).toBeUndefined();
  });

  it.each([
    [0x0b, 'invalid_destination'],
    [0x45, 'submit_failed'],
    [0x0a, 'invalid_source'],
    [0x62, 'invalid_validity_period'],
    [0x104, 'invalid_data_coding'],
  ])('treats 0x%s as permanent (%s)', (status, code) => {
    expect(classifySubmitStatus(status)).toMatchObject({ kind: 'permanent', code });
  });

  it('gives unknown vendor statuses a stable snake_case code', () => {
    expect(classifySubmitStatus(0x0401)).toMatchObject({ kind: 'permanent', code: 'smsc_status_0401' });
    for (let s = 1; s < 0x500; s++) expect(classifySubmitStatus(s)?.code).toMatch(/^[a-z0-9_]+$/);
  });
});
