import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Exit code of `git check-ignore -q <path>` in the repo root: 0 ignored, 1 not ignored, 128 error. */
function checkIgnore(path: string): number {
  try {
    execFileSync('git', ['check-ignore', '-q', path], { cwd: root, stdio: 'ignore' });
    return 0;
  } catch (err) {
    return (err as { status?: number | null }).status ?? -1;
  }
}

describe('.gitignore', () => {
  // `git check-ignore -q` accepts a single pathname only (several → "fatal: --quiet is only valid
  // with a single pathname", exit 128), so each path is checked on its own.
  it.each(['.data/x', '.cache/x', 'node_modules/x', 'services/worker/node_modules/x'])(
    'ignores %s (git check-ignore -q exits 0)',
    (path) => {
      expect(checkIgnore(path), `git check-ignore -q ${path}`).toBe(0);
    },
  );

  it('lists all of .data/, .cache/ and node_modules/ as ignored in one call', () => {
    const paths = ['.data/x', '.cache/x', 'node_modules/x'];
    const out = execFileSync('git', ['check-ignore', ...paths], { cwd: root, encoding: 'utf8' });
    expect(out.trim().split('\n').sort()).toEqual([...paths].sort());
  });

  it.each(['packages/contracts/src/config.ts', '.env.example', 'infra/redis.conf'])('does not ignore %s', (path) => {
    expect(checkIgnore(path), `git check-ignore -q ${path}`).toBe(1);
  });
});
