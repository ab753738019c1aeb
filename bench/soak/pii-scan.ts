import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** A Japanese mobile number in any written form: +81 90…, 8190…, 090…, with spaces or hyphens. */
const PHONE = /(?<![\d])(?:\+?81[\s-]?|0)([789]0)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)/g;

export interface PiiHits {
  lines: number;
  phoneHits: number;
  bodyHits: number;
  /** A few redacted examples (file and what matched, never the match itself). */
  examples: string[];
}

/**
 * Counts log lines that carry a canary: one of the run's phone numbers (its 10-digit core after
 * the leading 0, in any written form) or the run's body tag.
 */
export async function scanLogs(files: string[], phoneCores: Set<string>, bodyTag: string): Promise<PiiHits> {
  const hits: PiiHits = { lines: 0, phoneHits: 0, bodyHits: 0, examples: [] };
  for (const file of files) {
    if (!existsSync(file)) continue;
    const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    let lineNo = 0;
    for await (const line of rl) {
      lineNo++;
      hits.lines++;
      if (line.includes(bodyTag)) {
        hits.bodyHits++;
        if (hits.examples.length < 5) hits.examples.push(`${file}:${lineNo} body canary`);
      }
      for (const m of line.matchAll(PHONE)) {
        if (phoneCores.has(`${m[1]}${m[2]}${m[3]}`)) {
          hits.phoneHits++;
          if (hits.examples.length < 5) hits.examples.push(`${file}:${lineNo} phone canary`);
        }
      }
    }
  }
  return hits;
}
