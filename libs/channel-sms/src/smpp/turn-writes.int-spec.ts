import { AddressInfo, Server, Socket, createServer, connect } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { coalesceTurn } from './turn-writes';

/** Over real loopback TCP: what a turn writes reaches the socket as one vectored write, and all of it arrives. */
describe('coalesceTurn', () => {
  let server: Server;
  let client: Socket;
  let received = '';
  const writes: number[] = [];

  beforeAll(async () => {
    server = createServer((peer) => peer.on('data', (chunk) => (received += chunk.toString())));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    await new Promise<void>((resolve) => client.once('connect', resolve));
    // Each call of these is one system call on the socket: `_write` one buffer, `_writev` several.
    const socket = client as unknown as Record<'_write' | '_writev', (...args: unknown[]) => void>;
    for (const method of ['_write', '_writev'] as const) {
      const original = socket[method].bind(client);
      socket[method] = (chunks: unknown, ...rest: unknown[]) => {
        writes.push(method === '_writev' ? (chunks as unknown[]).length : 1);
        original(chunks, ...rest);
      };
    }
  });
  afterAll(async () => {
    client?.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const arrived = async (text: string) => {
    for (let i = 0; i < 200 && received !== text; i++) await new Promise((r) => setTimeout(r, 5));
    return received;
  };

  it("sends a turn's writes as one system call, then uncorks for the next turn", async () => {
    for (const pdu of ['one;', 'two;', 'three;']) {
      coalesceTurn(client);
      client.write(pdu);
    }
    expect(writes).toEqual([]); // held until the turn's immediates
    await nextTurn();
    expect(writes).toEqual([3]);
    expect(await arrived('one;two;three;')).toBe('one;two;three;');

    // The next turn corks again: its writes are one call of their own, not held behind the first.
    coalesceTurn(client);
    client.write('four;');
    coalesceTurn(client);
    client.write('five;');
    await nextTurn();
    expect(writes).toEqual([3, 2]);
    expect(await arrived('one;two;three;four;five;')).toBe('one;two;three;four;five;');
  });

  it('leaves a socket written without it as it was: one call per write', async () => {
    writes.length = 0;
    client.write('six;');
    expect(writes).toEqual([1]);
    expect(await arrived('one;two;three;four;five;six;')).toBe('one;two;three;four;five;six;');
  });
});
