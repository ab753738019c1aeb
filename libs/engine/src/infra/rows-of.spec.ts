import { rowsOf } from './rows-of';

describe('rowsOf', () => {
  it('unwraps the [rows, count] answer of UPDATE/DELETE … RETURNING', () => {
    expect(rowsOf([[{ id: 'a' }], 1])).toEqual([{ id: 'a' }]);
    expect(rowsOf([[], 0])).toEqual([]);
  });
  it('passes plain row arrays through, including two-row results', () => {
    expect(rowsOf([{ id: 'a' }, { id: 'b' }])).toEqual([{ id: 'a' }, { id: 'b' }]);
    expect(rowsOf([])).toEqual([]);
  });
});
