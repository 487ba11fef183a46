import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { testHome } from './test/setup/testHome.js';

// Instance records and learned state go to a scratch folder, never the user's home (the config is
// evaluated in vitest's main process; workers and the processes tests spawn inherit these).
const home = testHome();

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Bounds for a hang, not speed targets (those live in `npm run bench`): generous, so a loaded
    // machine makes the run slower, never red.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // e2e tests spawn real servers; two CPUs on CI machines.
    maxWorkers: 2,
    globalSetup: ['./test/setup/globalSetup.ts'],
    reporters: ['default', './test/setup/SkipNoticeReporter.ts'],
    env: {
      TOOLSCOPE_HOME: home,
      XDG_DATA_HOME: join(home, 'xdg-data'),
      XDG_STATE_HOME: join(home, 'xdg-state'),
    },
  },
});
