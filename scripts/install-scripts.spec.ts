import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Install scripts are the usual way a compromised package runs code on a developer's or CI's
 * machine, so each dependency that has one is reviewed and recorded in package.json's
 * `allowScripts` (npm 11 runs only the approved ones). A dependency that brings a new install
 * script fails this test until someone has looked at it and said yes or no.
 */
type Lock = { packages: Record<string, { version?: string; hasInstallScript?: boolean }> };
type Manifest = { allowScripts?: Record<string, boolean>; scarfSettings?: { enabled?: boolean } };

const root = join(__dirname, '..');
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as Lock;
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
const allow = manifest.allowScripts ?? {};

/** `node_modules/a/node_modules/@b/c` → `@b/c`. */
const nameOf = (lockPath: string) => lockPath.slice(lockPath.lastIndexOf('node_modules/') + 'node_modules/'.length);

/** An entry is a bare name or `name@version`, as `npm install-scripts` writes them. */
function decision(name: string, version: string | undefined): boolean | undefined {
  return allow[`${name}@${version}`] ?? allow[name];
}

const withScripts = Object.entries(lock.packages)
  .filter(([path, p]) => path !== '' && p.hasInstallScript)
  .map(([path, p]) => ({ name: nameOf(path), version: p.version }));

describe('dependencies with install scripts', () => {
  it('finds some in the lockfile (the check reads the right field)', () => {
    expect(withScripts.map((p) => p.name)).toContain('@scarf/scarf');
  });

  it('are each approved or denied in package.json allowScripts', () => {
    const unreviewed = withScripts.filter((p) => decision(p.name, p.version) === undefined).map((p) => `${p.name}@${p.version}`);
    expect(unreviewed).toEqual([]);
  });

  it('has no allowScripts entry for a package that no longer has one', () => {
    const names = new Set(withScripts.flatMap((p) => [p.name, `${p.name}@${p.version}`]));
    expect(Object.keys(allow).filter((entry) => !names.has(entry))).toEqual([]);
  });

  it('never approves a script that reaches the network at install time', () => {
    // @scarf/scarf (via swagger-ui-dist) reports the install to Scarf's servers; @swc/core's
    // fetches @swc/wasm from the registry, outside the lockfile, when its native binding fails to load.
    expect(allow['@scarf/scarf']).toBe(false);
    expect(allow['@swc/core']).toBe(false);
    // npm 10 (Node 20's own) ignores allowScripts; Scarf then reads this and stays silent.
    expect(manifest.scarfSettings?.enabled).toBe(false);
  });
});
