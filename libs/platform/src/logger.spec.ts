import pino from 'pino';
import { loggerOptions } from './logger';

/** The lines a logger with the production options writes, parsed. */
function capture(write: (log: pino.Logger) => void): Record<string, unknown>[] {
  const lines: string[] = [];
  write(pino(loggerOptions('info', 'test'), { write: (s: string) => lines.push(s) }));
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('log lines', () => {
  it('mask a phone number inside an error message logged as a field, as the console filter does', () => {
    const [line] = capture((log) => log.error({ err: 'invalid input syntax for type uuid: "+819012345678"' }, 'console error'));
    expect(JSON.stringify(line)).not.toMatch(/9012345678|09012345678/);
    expect(line.err).toBe('invalid input syntax for type uuid: "+81 90-****-5678"');
  });

  it('mask phone numbers in nested strings and arrays, and in the message', () => {
    const [line] = capture((log) => log.warn({ detail: { reason: 'to 090-1234-5678', ids: ['+819012345678'] } }, 'send to +819012345678 failed'));
    expect(JSON.stringify(line)).not.toMatch(/1234-5678|12345678/);
    expect(line.msg).toBe('send to +81 90-****-5678 failed');
  });

  it('drop bodies, credentials and bound query values at any depth, keeping the ids', () => {
    const [line] = capture((log) =>
      log.error({ messageId: 'm-1', job: { data: { text: 'ご予約は明日', password: 'hunter2hunter2', clientToken: 'abc123abc123' } }, query: { parameters: ['本文'] } }, 'failed'),
    );
    const json = JSON.stringify(line);
    for (const secret of ['ご予約は明日', 'hunter2hunter2', 'abc123abc123', '本文']) expect(json).not.toContain(secret);
    expect(line.messageId).toBe('m-1');
  });
});
