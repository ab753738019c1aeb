import type { LookupAddress } from 'node:dns';
import type { RequestOptions } from 'node:https';
import { CALLBACK_BLOCKED, createPublicOnlyLookup, hostLookupOf } from './callback-url.lookup';

/** A stand-in for the OS resolver with fixed answers; a second call can answer differently. */
function resolverOf(answers: Record<string, LookupAddress[][]>) {
  const calls: Array<{ host: string; all: boolean | undefined }> = [];
  const resolve = (
    host: string,
    options: { all: true },
    cb: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
  ): void => {
    calls.push({ host, all: options.all });
    const queue = answers[host];
    if (!queue || queue.length === 0) {
      const err: NodeJS.ErrnoException = new Error('getaddrinfo ENOTFOUND');
      err.code = 'ENOTFOUND';
      return cb(err, []);
    }
    cb(null, queue.length > 1 ? (queue.shift() as LookupAddress[]) : queue[0]);
  };
  return { resolve, calls };
}

function run(lookup: ReturnType<typeof createPublicOnlyLookup>, host: string, all = false) {
  return new Promise<{ err: NodeJS.ErrnoException | null; address: unknown; family?: number }>((done) =>
    lookup(host, { all }, (err, address, family) => done({ err, address, family })),
  );
}

const PUBLIC = { address: '93.184.215.14', family: 4 };
const PUBLIC6 = { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 };

describe('createPublicOnlyLookup', () => {
  it('passes public answers through in both callback shapes, always asking for all addresses', async () => {
    const { resolve, calls } = resolverOf({ 'crm.example.com': [[PUBLIC, PUBLIC6]] });
    const lookup = createPublicOnlyLookup(resolve);
    expect(await run(lookup, 'crm.example.com')).toEqual({ err: null, address: PUBLIC.address, family: 4 });
    expect(await run(lookup, 'crm.example.com', true)).toEqual({ err: null, address: [PUBLIC, PUBLIC6], family: undefined });
    expect(calls.every((c) => c.all === true)).toBe(true);
  });

  it('blocks a name that rebinds to a private address after it was approved', async () => {
    const { resolve } = resolverOf({ 'rebind.example': [[PUBLIC], [{ address: '10.0.0.5', family: 4 }]] });
    const lookup = createPublicOnlyLookup(resolve);
    expect((await run(lookup, 'rebind.example')).err).toBeNull();
    const second = await run(lookup, 'rebind.example');
    expect(second.err?.code).toBe(CALLBACK_BLOCKED);
    expect(second.err?.message).not.toContain('10.0.0.5');
  });

  it.each([
    [[PUBLIC, { address: '127.0.0.1', family: 4 }]],
    [[{ address: '169.254.169.254', family: 4 }]],
    [[{ address: '::ffff:192.168.0.1', family: 6 }]],
    [[]],
  ])('blocks %j', async (answer) => {
    const lookup = createPublicOnlyLookup(resolverOf({ 'x.example': [answer] }).resolve);
    expect((await run(lookup, 'x.example')).err?.code).toBe(CALLBACK_BLOCKED);
  });

  it('plugs into https.request / https.Agent as their lookup (checked by the compiler)', () => {
    const options: RequestOptions = { lookup: createPublicOnlyLookup() };
    expect(typeof options.lookup).toBe('function');
  });

  it('passes resolver errors through', async () => {
    const lookup = createPublicOnlyLookup(resolverOf({}).resolve);
    expect((await run(lookup, 'nowhere.example')).err?.code).toBe('ENOTFOUND');
  });
});

describe('hostLookupOf', () => {
  it('gives the save-time check every address of the same resolver the sender asks, and its errors', async () => {
    const { resolve, calls } = resolverOf({ 'crm.example.com': [[PUBLIC, PUBLIC6]] });
    const lookup = hostLookupOf(resolve);
    await expect(lookup('crm.example.com')).resolves.toEqual([PUBLIC.address, PUBLIC6.address]);
    await expect(lookup('nowhere.example')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(calls).toEqual([{ host: 'crm.example.com', all: true }, { host: 'nowhere.example', all: true }]);
  });
});
