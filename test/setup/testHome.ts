import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The scratch folder that stands in for the user's data directory during a test run (instance
 * records, learned state): one per vitest main process, so the tests never touch the real home.
 */
export function testHome(pid = process.pid): string {
  return join(tmpdir(), `toolscope-test-home-${pid}`);
}
