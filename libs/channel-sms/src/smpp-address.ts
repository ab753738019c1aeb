/**
 * SMPP addressing for our senders. Japanese domestic direct routes use short codes (0005…),
 * national numbers, or approved alphanumeric names.
 */
export interface SmppSourceAddress {
  source_addr_ton: number;
  source_addr_npi: number;
  source_addr: string;
}

export function addressOf(sender: string): SmppSourceAddress {
  const s = sender.trim();
  if (!s) return { source_addr_ton: 0, source_addr_npi: 0, source_addr: '' }; // the SMSC fills in the account default
  if (/^\+\d{6,15}$/.test(s)) return { source_addr_ton: 1, source_addr_npi: 1, source_addr: s.slice(1) }; // international
  // Short codes, and Japan's 0005… sender numbers, mean something only inside the carrier network.
  if (/^\d{3,8}$/.test(s) || /^0005\d{1,11}$/.test(s)) return { source_addr_ton: 3, source_addr_npi: 0, source_addr: s };
  if (/^0\d{5,15}$/.test(s)) return { source_addr_ton: 2, source_addr_npi: 1, source_addr: s }; // national (0005…, 090…)
  if (/^\d{9,15}$/.test(s)) return { source_addr_ton: 1, source_addr_npi: 1, source_addr: s };
  return { source_addr_ton: 5, source_addr_npi: 0, source_addr: s.slice(0, 11) }; // alphanumeric
}

/** TON 5: an alphanumeric sender id (`BANK-JP`), shown as text instead of a number. */
export const TON_ALPHANUMERIC = 5;

/**
 * Whether a route may send from this address. Japanese carriers show a domestic SMS as coming from
 * a number or a short code, never an alphanumeric id (that is a form of international routes), so
 * a domestic direct route refuses one rather than letting the SMSC rewrite or drop it.
 */
export function senderAllowedOn(kind: 'domestic_direct' | 'international', sender: string): boolean {
  return kind !== 'domestic_direct' || addressOf(sender).source_addr_ton !== TON_ALPHANUMERIC;
}

/**
 * A handset's number from an SMSC's source address: international (TON 1, or 11 digits and more),
 * or national from a Japanese SMSC (a leading 0). Undefined for what is no phone number.
 */
export function phoneFrom(sourceAddr: string, ton: number): string | undefined {
  const digits = sourceAddr.replace(/^\+/, '');
  if (!/^\d{6,15}$/.test(digits)) return undefined;
  if (ton === 1) return `+${digits}`;
  if (digits.startsWith('0')) return `+81${digits.slice(1)}`; // national format from a Japanese SMSC
  if (digits.length >= 11) return `+${digits}`;
  return undefined;
}

/**
 * Every source address `phoneFrom` reads as this number: what an SMSC may have written for the
 * person, to find what is kept under the address it wrote (erasure on request).
 */
export function sourceAddressesOf(e164: string): string[] {
  const digits = e164.replace(/^\+/, '');
  const forms = [digits, `+${digits}`];
  if (digits.startsWith('81')) forms.push(`0${digits.slice(2)}`, `+0${digits.slice(2)}`); // a leading + is dropped before the 0 is read
  return forms;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** SMPP relative time `YYMMDDhhmmss000R` for a validity of `seconds` (at least 1 minute, at most 99 days). */
export function relativeValidity(seconds: number): string {
  const total = Math.min(99 * 86400 + 86399, Math.max(60, Math.floor(Number.isFinite(seconds) ? seconds : 86400)));
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  return `0000${pad(days)}${pad(hours)}${pad(minutes)}${pad(secs)}000R`;
}
