import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installNpmFixtures } from './npmFixtures.js';
import { installSystemPackages, missingNote } from './systemPackages.js';
import { testHome } from './testHome.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Runs once before the test files: everything a fresh clone needs beyond the root `npm ci`. The npm
 * fixtures (an older MCP SDK, the conformance suite and its Node 22) are installed from their
 * lockfiles; the Debian packages the tests drive (Prometheus, Chromium) are installed with apt-get
 * when this user may. What is still missing skips its tests with a counted notice, except under CI
 * (`CI=true`), where it fails the run: CI must run everything.
 */
export default async function setup(): Promise<() => void> {
  const say = (line: string) => process.stderr.write(`toolscope test setup: ${line}\n`);
  await installNpmFixtures(join(ROOT, 'test/fixtures'), say, ROOT);
  const missing = await installSystemPackages(say);
  if (missing.length > 0) {
    const notes = missing.map(missingNote).join('; ');
    if (process.env.CI === 'true')
      throw new Error(`CI must run every test, but: ${notes}. Install them (apt-get) before npm test.`);
    say(`${notes}; their tests will be skipped (counted at the end)`);
  }
  return () => rmSync(testHome(), { recursive: true, force: true });
}
