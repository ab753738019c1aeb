/**
 * A run of digits (full-width too, after NFKC) with the separators people type in numbers: the
 * audit log must never hold a phone number, and a reason is typed by hand, often while the
 * customer reads their number out on the phone.
 */
const DIGIT_RUN = /\+?[0-9][0-9\s\-‐()]*[0-9]/g;
/** A Japanese number, domestic (0 and 9–10 digits) or international (+81 / 81 and 9–10 digits). */
const JAPANESE_NUMBER = /^(?:\+?81|0)\d{9,10}$/;

/** Whether a reason typed for the audit log names a phone number. */
export function namesPhoneNumber(reason: string): boolean {
  for (const run of reason.normalize('NFKC').match(DIGIT_RUN) ?? []) {
    if (JAPANESE_NUMBER.test(run.replace(/[\s\-‐()]/g, ''))) return true;
  }
  return false;
}
