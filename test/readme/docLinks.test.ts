import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../e2e/helpers.js';

/** The project's own markdown: everything but installed packages and build output. */
function markdownFiles(dir = ROOT): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', 'dist', 'test-results', '.git'].includes(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...markdownFiles(path));
    else if (entry.name.endsWith('.md')) found.push(path);
  }
  return found;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Why `target`, linked from `file`, leaves the repository (or is broken), if it does. */
function outside(file: string, target: string): string | undefined {
  if (target.startsWith('#') || target.startsWith('mailto:')) return undefined;
  if (/^[a-z]+:\/\//i.test(target)) {
    const host = /^[a-z]+:\/\/([^/:?#]+)/i.exec(target)?.[1] ?? '';
    return LOCAL_HOSTS.has(host) || target.includes('<') ? undefined : `links to ${host}`;
  }
  const path = resolve(dirname(file), target.split('#')[0] as string);
  if (relative(ROOT, path).startsWith('..')) return 'points outside the repository';
  return existsSync(path) ? undefined : 'points to a file that does not exist';
}

describe('the docs never link outside the repository (issue 18)', () => {
  const files = markdownFiles();

  it('finds the docs', () => {
    expect(files.map((file) => relative(ROOT, file))).toEqual(
      expect.arrayContaining(['README.md', 'src/instrument/README.md', 'bench/RESULTS.md']),
    );
  });

  it.for(files.map((file) => relative(ROOT, file)))('%s', (name) => {
    const file = join(ROOT, name);
    const text = readFileSync(file, 'utf8');
    const problems: string[] = [];
    const targets = [
      ...[...text.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] as string),
      ...[...text.matchAll(/<((?:https?|file):[^>\s]+)>/g)].map((match) => match[1] as string),
    ];
    for (const target of targets) {
      const why = outside(file, target);
      if (why) problems.push(`${target}: ${why}`);
    }
    // Paths a clone does not have, in prose or code spans: the team's notes beside the repository.
    for (const match of text.matchAll(/(\.\.\/shared\/\S*|\/work\/\S+)/g))
      problems.push(`${match[1]}: not in a clone`);
    expect(problems).toEqual([]);
  });
});
