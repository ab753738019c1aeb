/** One row per scenario: what happened so far, in words. */
export interface Row {
  key: string;
  title: string;
  line: string;
  done: boolean;
  ok: boolean | null;
}

const GREEN = '\x1b[32m';
const RED = '\x1b[31m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

/**
 * On a terminal, the rows are redrawn in place (one line per message, updated as it moves);
 * elsewhere (CI logs, pipes), each change is printed once as a plain line.
 */
export class TimelineDisplay {
  private drawn = 0;
  private readonly last = new Map<string, string>();

  constructor(
    private readonly out: NodeJS.WriteStream | { write(s: string): boolean; isTTY?: boolean },
    private readonly rows: Row[],
  ) {}

  private get tty(): boolean {
    return Boolean(this.out.isTTY);
  }

  private format(row: Row, color: boolean): string {
    const mark = row.ok === null ? '…' : row.ok ? '✓' : '✗';
    const paint = (s: string) => (!color ? s : row.ok === null ? `${DIM}${s}${RESET}` : row.ok ? `${GREEN}${s}${RESET}` : `${RED}${s}${RESET}`);
    return `${paint(`${mark} [${row.key}]`)} ${row.title.padEnd(30)} ${row.line}`;
  }

  render(): void {
    if (this.tty) {
      if (this.drawn) this.out.write(`\x1b[${this.drawn}A`);
      for (const row of this.rows) this.out.write(`\x1b[2K${this.format(row, true)}\n`);
      this.drawn = this.rows.length;
      return;
    }
    for (const row of this.rows) {
      const text = this.format(row, false);
      if (this.last.get(row.key) !== text) {
        this.last.set(row.key, text);
        this.out.write(`${text}\n`);
      }
    }
  }
}
