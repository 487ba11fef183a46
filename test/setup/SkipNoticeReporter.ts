import type { Reporter, TestModule } from 'vitest/node';
import { MISSING_PACKAGE_NOTE } from './systemPackages.js';

/**
 * One line at the end of the run for the tests skipped because a Debian package is missing (the test
 * setup could not install it): how many, and what would run them. Those tests count as skipped, never
 * as passed.
 */
export default class SkipNoticeReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const byPackage = new Map<string, number>();
    let total = 0;
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const result = test.result();
        const note = result.state === 'skipped' ? result.note : undefined;
        if (!note?.startsWith(MISSING_PACKAGE_NOTE)) continue;
        const name = note.slice(MISSING_PACKAGE_NOTE.length).trim().split(' ')[0] ?? '?';
        byPackage.set(name, (byPackage.get(name) ?? 0) + 1);
        total++;
      }
    }
    if (total === 0) return;
    const names = [...byPackage.keys()];
    const counts = [...byPackage].map(([name, count]) => `${count} need ${name}`).join(', ');
    process.stderr.write(
      `\ntoolscope: ${total} test${total === 1 ? '' : 's'} SKIPPED, not passed (${counts}): ` +
        `the Debian package${names.length === 1 ? ' is' : 's are'} missing and the test setup cannot install ` +
        `${names.length === 1 ? 'it' : 'them'} without root. Run \`sudo apt-get install ${names.join(' ')}\`, ` +
        'then npm test again.\n',
    );
  }
}
