import { beforeEach } from 'vitest';
import {
  commandPath,
  isInstalled,
  missingNote,
  SYSTEM_PACKAGES,
  type SystemPackage,
} from './systemPackages.js';

/** What a test file learns about a Debian package it drives. */
export interface Needed {
  /** Whether every command of the package is on PATH. */
  readonly installed: boolean;
  /** The path of one of its commands (`chromium`, `promtool`), when installed. */
  path(command: string): string;
}

/**
 * Declares that the tests of the enclosing `describe` (or file) drive `name` for real. When it is
 * missing (the test setup installs it where it can: root and apt-get), each of those tests is skipped
 * with a note the skip reporter counts, never passed; `beforeAll` hooks check `installed` first.
 */
export function needs(name: SystemPackage['name']): Needed {
  const pkg = SYSTEM_PACKAGES.find((candidate) => candidate.name === name) as SystemPackage;
  const installed = isInstalled(pkg);
  if (!installed) beforeEach((context) => context.skip(missingNote(pkg)));
  return {
    installed,
    path(command) {
      const found = commandPath(command);
      if (!found) throw new Error(`${command} is not installed (Debian package ${pkg.name})`);
      return found;
    },
  };
}
