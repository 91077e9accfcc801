import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/fuzz/**/*.test.ts', 'test/owasp/**/*.test.ts', 'test/crash/**/*.test.ts', 'test/browser/**/*.test.ts'],
    // Builds the portal (web/dist) once per run, only when it is missing or older than its sources;
    // makes the migrated database templates the harness starts apps from (test/support/db-template.ts).
    globalSetup: ['test/support/web-build-setup.ts', 'test/support/db-template-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration files each own a database; two cores → two workers.
    maxWorkers: 2,
    pool: 'forks',
    // A worker process runs file after file with the modules it has loaded (each file still gets fresh
    // test state and its own apps and databases): importing the app again for every file cost about a
    // tenth of the suite.
    isolate: false,
    // In CI a JSON report lets .ci/run print the plain "N passed, N failed" closing line.
    reporters: process.env.CI === 'true' ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'],
  },
});
