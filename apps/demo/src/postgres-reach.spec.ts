import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstClosedFolder } from './postgres-reach';

describe('firstClosedFolder', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'reach-'));
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('names the first folder others cannot enter', () => {
    chmodSync(root, 0o755);
    chmodSync(join(root, 'a'), 0o700);
    expect(firstClosedFolder(join(root, 'a', 'b', 'postgres'))).toBe(join(root, 'a'));
  });

  it('is null when every folder on the way can be entered', () => {
    chmodSync(root, 0o755);
    chmodSync(join(root, 'a'), 0o711);
    expect(firstClosedFolder(join(root, 'a', 'b', 'postgres'))).toBeNull();
  });
});
