import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const path = fileURLToPath(new URL('../../infra/redis.conf', import.meta.url));
const lines = readFileSync(path, 'utf8')
  .split('\n')
  .map((l) => l.trim());

/** Index of the uncommented directive `name value` (comments and blank lines ignored; last one wins, as in Redis). */
function directiveIndex(name: string): number {
  let found = -1;
  lines.forEach((line, i) => {
    if (line === '' || line.startsWith('#')) return;
    const [key] = line.split(/\s+/);
    if (key?.toLowerCase() === name) found = i;
  });
  return found;
}

function directiveValue(name: string): string | undefined {
  const i = directiveIndex(name);
  return i === -1 ? undefined : lines[i]!.split(/\s+/).slice(1).join(' ');
}

describe('infra/redis.conf', () => {
  it.each([
    ['maxmemory', '2gb'],
    ['maxmemory-policy', 'noeviction'],
    ['appendonly', 'yes'],
  ])('sets %s %s, uncommented, explained by the comment line above it', (name, value) => {
    const i = directiveIndex(name);
    expect(i, `no uncommented '${name}' line in ${path}`).toBeGreaterThanOrEqual(0);
    expect(directiveValue(name)).toBe(value);
    expect(i, `'${name}' is the first line`).toBeGreaterThan(0);
    expect(lines[i - 1], `the line above '${name} ${value}' must be a comment`).toMatch(/^#\s*\S/);
  });
});
