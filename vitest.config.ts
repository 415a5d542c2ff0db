import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One migrated embedded database per run, copied by each test platform (test/support/global-setup.ts).
    globalSetup: ['test/support/global-setup.ts'],
    // Limits that catch a hang, not budgets: every test waits for conditions, and on a machine whose two
    // cores are shared with other work a test that takes 20 s alone can take several times that.
    testTimeout: 180_000,
    hookTimeout: 240_000,
    // Integration files each start their own broker and database; two cores run two at a time.
    fileParallelism: true,
    maxWorkers: 2,
    // Files share their worker's loaded modules instead of importing everything again (about 2 s of a
    // core per file). Each file starts and stops its own platforms, and nothing in a file mocks a module
    // or keeps state at module level that another file could see.
    isolate: false,
  },
});
