import { randomBytes } from 'node:crypto';

/** What a scenario posts, and what it must end as for the demo to pass. */
export interface Scenario {
  key: string;
  title: string;
  phone: string;
  lineUserId?: string;
  body: Record<string, unknown>;
  /** Set up the stand-ins for this number before posting. */
  script: 'read_on_rcs' | 'no_rcs' | 'rcs_timeout_sms_undeliv' | 'none';
  expect:
    | { kind: 'message'; status: string; channel: string; trail: string[] }
    | { kind: 'refused'; status: number; code: string };
}

function phone(n: number): string {
  // A block of 090 numbers per run, so re-runs never share a contact's cached state.
  const base = 10_000_000 + (Number.parseInt(randomBytes(3).toString('hex'), 16) % 80_000_000);
  return `+8190${String(base + n).padStart(8, '0')}`;
}

export function demoScenarios(sender: string): Scenario[] {
  const p = [phone(1), phone(2), phone(3), phone(4)];
  const lineUser = `U${randomBytes(16).toString('hex')}`;
  const text = 'ご予約は明日10時です。変更はこちらへご返信ください。';
  return [
    {
      key: '1',
      title: 'RCS-capable phone',
      phone: p[0],
      script: 'read_on_rcs',
      body: { to: { phone: p[0] }, category: 'transactional', text, sender, rcs: { card: { title: 'ご予約の確認', description: '明日 10:00', suggestions: [{ type: 'reply', text: '了解', postbackData: 'ok' }] } } },
      expect: { kind: 'message', status: 'read', channel: 'rcs', trail: ['rcs:read'] },
    },
    {
      key: '2',
      title: 'phone without RCS',
      phone: p[1],
      script: 'no_rcs',
      body: { to: { phone: p[1] }, category: 'transactional', text, sender },
      expect: { kind: 'message', status: 'delivered', channel: 'sms', trail: ['sms:delivered'] },
    },
    {
      key: '3',
      title: 'RCS late, SMS undelivered',
      phone: p[2],
      lineUserId: lineUser,
      script: 'rcs_timeout_sms_undeliv',
      body: { to: { phone: p[2], lineUserId: lineUser }, category: 'transactional', text, sender },
      expect: { kind: 'message', status: 'delivered', channel: 'line', trail: ['rcs:revoked', 'sms:failed', 'line:sent'] },
    },
    {
      key: '4a',
      title: 'OTP',
      phone: p[3],
      script: 'none',
      body: { to: { phone: p[3] }, category: 'otp', text: '認証コード: 482913（5分間有効）', sender },
      expect: { kind: 'message', status: 'delivered', channel: 'sms', trail: ['sms:delivered'] },
    },
    {
      key: '4b',
      title: 'OTP with LINE in its channels',
      phone: p[3],
      script: 'none',
      body: { to: { phone: p[3] }, category: 'otp', text: '認証コード: 482913', channels: ['sms', 'line'], sender },
      expect: { kind: 'refused', status: 422, code: 'CHANNEL_NOT_ALLOWED_FOR_OTP' },
    },
    {
      key: '5a',
      title: 'body with a card number',
      phone: p[1],
      script: 'none',
      body: { to: { phone: p[1] }, category: 'transactional', text: 'カード番号 4111 1111 1111 1111 をご確認ください', sender },
      expect: { kind: 'refused', status: 422, code: 'BODY_CONTAINS_CARD_NUMBER' },
    },
    {
      key: '5b',
      title: 'unapproved sender',
      phone: p[1],
      script: 'none',
      body: { to: { phone: p[1] }, category: 'transactional', text, sender: '00059999' },
      expect: { kind: 'refused', status: 422, code: 'SENDER_NOT_APPROVED' },
    },
  ];
}
