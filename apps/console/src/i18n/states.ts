/** State badges and reason codes in words. An unknown code is shown as itself, never hidden. */
type Words = Record<string, { en: string; ja: string }>;

export const STATE_WORDS: Words = {
  accepted: { en: 'accepted', ja: '受付済み' },
  dispatching: { en: 'sending', ja: '送信中' },
  pending: { en: 'waiting to send', ja: '送信待ち' },
  submitting: { en: 'submitting', ja: '送信処理中' },
  sent: { en: 'sent', ja: '送信済み' },
  delivered: { en: 'delivered', ja: '配信済み' },
  read: { en: 'read', ja: '既読' },
  failed: { en: 'failed', ja: '失敗' },
  expired: { en: 'expired', ja: '期限切れ' },
  cancelled: { en: 'cancelled', ja: '取消済み' },
  unknown: { en: 'outcome unknown', ja: '結果不明' },
  revoked: { en: 'withdrawn', ja: '取り下げ' },
  received: { en: 'received', ja: '受信' },
};

export const REASON_WORDS: Words = {
  fallback_timeout: { en: 'not delivered in time, so the next channel was tried', ja: '時間内に配信されなかったため次のチャネルへ切り替え' },
  cancel_too_late: { en: 'withdrawal came too late: it had already been delivered', ja: '取り下げが間に合わず配信済み' },
  cancelled_by_client: { en: 'cancelled by the sending system', ja: '送信元システムにより取消' },
  all_channels_failed: { en: 'no channel could deliver it', ja: 'すべてのチャネルで配信できず' },
  expired_before_delivery: { en: 'expired before it was delivered', ja: '配信前に有効期限切れ' },
  capability_lookup_failed: { en: 'could not check which channels the phone supports', ja: '端末の対応チャネルを確認できず' },
  not_rcs_capable: { en: 'the phone cannot receive RCS', ja: '端末がRCS非対応' },
  rcs_not_supported: { en: 'the phone cannot receive RCS', ja: '端末がRCS非対応' },
  no_line_link: { en: 'no LINE account is linked', ja: 'LINEアカウント未連携' },
  line_unfollowed: { en: 'the person blocked or unfollowed the LINE account', ja: 'LINE公式アカウントがブロックまたは友だち解除されている' },
  opted_out: { en: 'the person opted out of this channel', ja: 'このチャネルの配信停止済み' },
  opt_out: { en: 'opted out', ja: '配信停止' },
  quiet_hours: { en: 'held for quiet hours', ja: '配信停止時間帯のため保留' },
  undeliverable: { en: 'the carrier could not deliver it', ja: '通信事業者が配信できず' },
  unknown_destination: { en: 'unknown number', ja: '存在しない番号' },
  ttl_expired_revoked: { en: 'expired and withdrawn', ja: '期限切れのため取り下げ' },
  ttl_revoke_failed: { en: 'expired; withdrawal failed', ja: '期限切れ（取り下げ失敗）' },
  submit_timeout: { en: 'no answer from the carrier when sending', ja: '送信時に通信事業者から応答なし' },
  never_delivered: { en: 'never confirmed as delivered', ja: '配信確認なし' },
  line_monthly_quota: { en: 'LINE monthly message quota reached', ja: 'LINEの月間送信上限に到達' },
  line_not_allowed_for_otp: { en: 'LINE is never used for one-time codes', ja: 'LINEはワンタイムパスワードに使用しません' },
  rbm_rate_limited: { en: 'RCS provider throttled the request', ja: 'RCS事業者による流量制限' },
  line_rate_limited: { en: 'LINE throttled the request', ja: 'LINEによる流量制限' },
  smsc_queue_full: { en: 'SMS carrier queue full', ja: 'SMS事業者のキューが満杯' },
  // Why an attempt was withdrawn (beside fallback_timeout), and what became of it after.
  expired: { en: 'the message expired', ja: '有効期限切れ' },
  cancelled: { en: 'the message was cancelled', ja: 'メッセージの取消' },
  delivered_after_withdrawal: { en: 'delivered after it was withdrawn', ja: '取り下げ後に配信された' },
  message_final_before_send: { en: 'the message had already ended before this send', ja: '送信前にメッセージが完了済み' },
  submit_interrupted: { en: 'sending was interrupted; outcome unknown', ja: '送信処理が中断（結果不明）' },
  sender_not_approved: { en: 'the sender address is not approved', ja: '送信元アドレスが未承認' },
  // How a send was accepted: LINE's push (no delivery report follows) or its PNP by phone number.
  push: { en: 'LINE push (LINE reports no delivery)', ja: 'LINEプッシュ（配信通知なし）' },
  pnp: { en: 'LINE notification by phone number', ja: '電話番号によるLINE通知' },
  // SMSC delivery receipts.
  rejected: { en: 'rejected by the carrier', ja: '通信事業者が拒否' },
  deleted: { en: 'deleted by the carrier', ja: '通信事業者が削除' },
  smsc_unknown: { en: 'the carrier reported an unknown outcome', ja: '通信事業者の報告が不明' },
  // Why a channel refused or could not take a send (ChannelError codes), as the adapters name them.
  adapter_error: { en: 'the channel failed unexpectedly', ja: 'チャネルの予期しないエラー' },
  body_too_long: { en: 'the text is too long for SMS', ja: 'SMSには長すぎる本文' },
  destination_not_allowed: { en: 'the number is not allowed on this route', ja: 'この経路では送れない番号' },
  unknown_route: { en: 'no such SMS route is configured', ja: '設定されていないSMS経路' },
  sender_not_allowed_on_route: { en: 'this sender cannot be used on a domestic route', ja: 'この送信元は国内経路で使用不可' },
  no_bind: { en: 'no connection to the SMS carrier', ja: 'SMS事業者への接続なし' },
  bind_not_ready: { en: 'the SMS carrier connection was not ready', ja: 'SMS事業者への接続が準備中' },
  bind_lost: { en: 'the carrier connection dropped while sending; outcome unknown', ja: '送信中に事業者への接続が切断（結果不明）' },
  partial_submit: { en: 'only part of a long SMS was handed over; outcome unknown', ja: '長いSMSの一部のみ送信（結果不明）' },
  window_full: { en: 'the SMS carrier connection was busy', ja: 'SMS事業者への接続が混雑' },
  throttled: { en: 'held back to the route\'s sending rate', ja: '経路の送信レートにより待機' },
  rbm_unreachable: { en: 'the RCS provider could not be reached', ja: 'RCS事業者に接続できず' },
  rbm_unauthenticated: { en: 'the RCS provider refused our access token', ja: 'RCS事業者がアクセストークンを拒否' },
  rbm_token_unavailable: { en: 'no RCS access token could be had (Google unavailable)', ja: 'RCSのアクセストークンを取得できず（Google側の障害）' },
  rbm_token_invalid_credentials: { en: 'Google refused the RCS service-account key', ja: 'GoogleがRCSのサービスアカウント鍵を拒否' },
  rbm_token_refused: { en: 'Google refused to issue an RCS access token', ja: 'GoogleがRCSのアクセストークン発行を拒否' },
  rbm_token_clock_skew: { en: "this server's clock is off: Google refused the RCS token request", ja: 'サーバーの時計のずれによりGoogleがRCSのトークン要求を拒否' },
  rcs_agent_not_configured: { en: 'no RCS agent is configured for the organisation', ja: '組織にRCSエージェントが未設定' },
  rcs_agent_not_allowed: { en: "the RCS agent is another organisation's", ja: '他組織のRCSエージェント' },
  rcs_content_invalid: { en: 'the rich content is not valid for RCS', ja: 'RCSのリッチコンテンツが不正' },
  rcs_text_too_long: { en: 'the text is too long for RCS', ja: 'RCSには長すぎる本文' },
  line_channel_not_configured: { en: 'no LINE channel is configured for the organisation', ja: '組織にLINEチャネルが未設定' },
  line_bad_request: { en: 'LINE refused the message as invalid', ja: 'LINEがメッセージを不正として拒否' },
  line_invalid_message: { en: 'the message is not valid for LINE', ja: 'LINEのメッセージ形式が不正' },
  line_invalid_retry_key: { en: 'LINE refused the retry key', ja: 'LINEが再送キーを拒否' },
  line_unauthorized: { en: 'LINE refused the channel access token', ja: 'LINEがチャネルアクセストークンを拒否' },
  line_forbidden: { en: 'the LINE channel is not allowed to do this', ja: 'LINEチャネルにこの操作の権限なし' },
  line_pnp_unreachable: { en: 'LINE could not reach this number (notification by phone number)', ja: 'LINEが電話番号で通知できず' },
  line_client_error: { en: 'LINE refused the request', ja: 'LINEが要求を拒否' },
  line_unexpected_status: { en: 'LINE answered unexpectedly', ja: 'LINEから想定外の応答' },
  line_network_error: { en: 'LINE could not be reached', ja: 'LINEに接続できず' },
  line_token_unavailable: { en: 'no LINE access token could be had (LINE unavailable)', ja: 'LINEのアクセストークンを取得できず（LINE側の障害）' },
  line_token_invalid_client: { en: "LINE refused the channel's id or secret", ja: 'LINEがチャネルIDまたはシークレットを拒否' },
  line_token_refused: { en: 'LINE refused to issue an access token', ja: 'LINEがアクセストークン発行を拒否' },
};

/** What a message's events are (the events list of each timeline item). */
export const EVENT_WORDS: Words = {
  accepted: { en: 'accepted from the CRM', ja: 'CRMから受付' },
  'attempt.status': { en: 'attempt', ja: '送信試行' },
  'message.status': { en: 'message', ja: 'メッセージ' },
  'message.possible_duplicate': { en: 'possible duplicate', ja: '重複の可能性' },
  'provider.accepted': { en: 'provider accepted', ja: '事業者が受付' },
  'provider.delivered': { en: 'delivery report', ja: '配信通知' },
  'provider.read': { en: 'read receipt', ja: '既読通知' },
  'provider.failed': { en: 'failure report', ja: '失敗通知' },
  'provider.expired': { en: 'expiry report', ja: '期限切れ通知' },
  'attempt.anomaly': { en: 'report out of order (ignored)', ja: '順序の合わない通知（無視）' },
  'attempt.sent_after_withdraw': { en: 'sent after it was withdrawn', ja: '取り下げ後に送信された' },
};

/** What happened to the contact, not to a message (the contact card's list). */
export const CONTACT_EVENT_WORDS: Words = {
  'inbound.opt_out': { en: 'opted out', ja: '配信停止' },
  'inbound.opt_in': { en: 'opted back in', ja: '配信再開' },
  'contact.line_linked': { en: 'LINE account linked', ja: 'LINEアカウント連携' },
  'contact.line_unlinked': { en: 'LINE account unlinked', ja: 'LINEアカウント連携解除' },
  'contact.erased': { en: 'data erased on request', ja: '本人の求めによりデータ消去' },
};

/** A message's category. */
export const CATEGORY_WORDS: Words = {
  otp: { en: 'one-time code', ja: 'ワンタイムパスワード' },
  transactional: { en: 'transactional', ja: '取引通知' },
  marketing: { en: 'marketing', ja: 'マーケティング' },
};

/** A sender address's approval state and kind (the admin page). */
export const SENDER_WORDS: Words = {
  requested: { en: 'awaiting the operators\' approval', ja: '運用者の承認待ち' },
  approved: { en: 'approved', ja: '承認済み' },
  suspended: { en: 'suspended', ja: '停止中' },
  short_code: { en: 'short code', ja: '短縮番号' },
  long_number: { en: 'long number', ja: '通常番号' },
  alphanumeric: { en: 'alphanumeric', ja: '英数字' },
};

export function words(table: Words, code: string | null | undefined, lang: 'ja' | 'en'): string {
  if (!code) return '';
  return table[code]?.[lang] ?? code.replace(/_/g, ' ');
}

/** Badge colour class per state: green for success, red for failure, grey in between. */
export function badgeClass(state: string): string {
  if (['delivered', 'read', 'received'].includes(state)) return 'badge badge-ok';
  if (['failed', 'expired', 'unknown'].includes(state)) return 'badge badge-bad';
  if (['revoked', 'cancelled'].includes(state)) return 'badge badge-muted';
  return 'badge badge-busy';
}
