import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataDirectory, stateDirectoryFor } from '../../src/config/index.js';
import { instancesDirectory } from '../../src/dashboard/index.js';

describe('the user’s data directory (issue 18: state and instances)', () => {
  it('is TOOLSCOPE_HOME, else $XDG_DATA_HOME/toolscope, else ~/.local/share/toolscope', () => {
    expect(dataDirectory({ TOOLSCOPE_HOME: '/t', XDG_DATA_HOME: '/x' })).toBe('/t');
    expect(dataDirectory({ XDG_DATA_HOME: '/x' })).toBe(join('/x', 'toolscope'));
    expect(dataDirectory({})).toBe(join(homedir(), '.local', 'share', 'toolscope'));
    expect(instancesDirectory({ XDG_DATA_HOME: '/x' })).toBe(join('/x', 'toolscope', 'instances'));
  });

  it('gives two configs in one folder, and two proxied commands, state folders of their own', () => {
    const env = { TOOLSCOPE_HOME: '/t' };
    const a = stateDirectoryFor({ kind: 'config', path: '/work/app/toolscope.json' }, env);
    const b = stateDirectoryFor({ kind: 'config', path: '/work/app/other.json' }, env);
    expect(a).toMatch(/^\/t\/state\/toolscope-[0-9a-f]{12}$/);
    expect(b).toMatch(/^\/t\/state\/other-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
    expect(stateDirectoryFor({ kind: 'config', path: '/work/app/toolscope.json' }, env)).toBe(a);
    const everything = stateDirectoryFor(
      { kind: 'command', command: 'npx', args: ['-y', '@modelcontextprotocol/server-everything'] },
      env,
    );
    const memory = stateDirectoryFor(
      { kind: 'command', command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] },
      env,
    );
    expect(everything).not.toBe(memory);
    expect(everything).toMatch(/^\/t\/state\/npx-[0-9a-f]{12}$/);
  });

  it('is, during the tests, a scratch folder and not the user’s home', () => {
    expect(dataDirectory()).toBe(process.env.TOOLSCOPE_HOME);
    expect(dataDirectory().startsWith(join(homedir(), '.'))).toBe(false);
  });
});
