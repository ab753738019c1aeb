import { namesPhoneNumber } from './audit-reason';

describe('namesPhoneNumber (a reason the audit log would keep)', () => {
  it.each(['お客様 090-1234-5678 から電話', 'called from +81 90 1234 5678', '０９０１２３４５６７８ 本人確認', 'tel (03) 1234-5678', '819012345678'])('finds the number in "%s"', (reason) => {
    expect(namesPhoneNumber(reason)).toBe(true);
  });

  it.each(['削除依頼 #1234', '依頼番号 202612060001', 'お客様から本人確認の電話', 'ticket 12345678', 'case 2026-12-06'])('takes "%s"', (reason) => {
    expect(namesPhoneNumber(reason)).toBe(false);
  });
});
