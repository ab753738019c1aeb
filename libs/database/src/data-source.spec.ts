import { dataSourceOptions } from './data-source';

describe('dataSourceOptions', () => {
  it('sizes the pool as asked, 20 by default', () => {
    const extra = (o: ReturnType<typeof dataSourceOptions>) => (o as unknown as { extra: { max: number } }).extra;
    expect(extra(dataSourceOptions('postgres://127.0.0.1/x')).max).toBe(20);
    expect(extra(dataSourceOptions('postgres://127.0.0.1/x', {}, 6)).max).toBe(6);
  });
});
