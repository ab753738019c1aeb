/** Shorter words ("ops", "jp") are inside too many good passphrases to forbid. */
const MIN_WORD_LENGTH = 4;

function fold(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/**
 * The words a guesser tries first against this account (NIST SP 800-63B's context-specific
 * words): the email's local part and the organisation's name, each whole and each of its parts
 * split at `.`, `_`, `+`, `-` and spaces, when four characters or longer.
 */
export function contextWords(email: string, tenantName: string): string[] {
  const words = new Set<string>();
  for (const source of [email.split('@')[0] ?? '', tenantName]) {
    const whole = fold(source).trim();
    for (const word of [whole, ...whole.split(/[._+\-\s]+/)]) if (word.length >= MIN_WORD_LENGTH) words.add(word);
  }
  return [...words];
}

/** Whether a new password contains any of the account's context words, case and width aside. */
export function containsContextWord(password: string, email: string, tenantName: string): boolean {
  const folded = fold(password);
  return contextWords(email, tenantName).some((word) => folded.includes(word));
}
