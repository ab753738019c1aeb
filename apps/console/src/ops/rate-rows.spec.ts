import { rateRows } from './ops.service';

describe('rateRows: delivery rates per channel', () => {
  const counts = [
    { channel: 'line', total: '4', delivered: '0', sent: '3', failed: '1' },
    { channel: 'sms', total: '5', delivered: '3', sent: '1', failed: '1' },
  ];

  it("counts sent as delivered only where the channel reports no delivery (LINE's push is its success)", () => {
    expect(rateRows(counts, (c) => c !== 'line')).toEqual([
      { channel: 'line', total: 4, delivered: 3, failed: 1, sentIsFinal: true },
      // An SMS still `sent` waits for its receipt: not yet delivered.
      { channel: 'sms', total: 5, delivered: 3, failed: 1, sentIsFinal: false },
    ]);
  });
});
