/**
 * Five projects, so the daily loop is fast: `npm run test:unit` runs only the pure tests (no Postgres,
 * no Temporal, no workflow bundle); `npm test` runs every project, as CI does.
 * @type {import('jest').Config}
 */
const shared = {
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>'],
  testPathIgnorePatterns: ['/node_modules/', '/.tools/'],
  modulePathIgnorePatterns: ['<rootDir>/.tools/', '<rootDir>/data/'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] },
};

const under = (...folders) => folders.map((folder) => `<rootDir>/test/${folder}/**/*.test.ts`);

module.exports = {
  testTimeout: 60_000,
  // Temporal's native worker keeps handles briefly after shutdown; every test cleans up explicitly.
  forceExit: true,
  projects: [
    // Pure code: domain rules, configuration, scenario files. No database, no Temporal, no bundle.
    { ...shared, displayName: 'unit', testMatch: under('domain', 'config', 'scenarios', 'worker') },
    // Postgres, the fake Telegram and OpenAI servers, the bot and the api. Many of these tests run a
    // worker too, so the bundle is made here as well: a bundle left from an earlier run may hold old code.
    {
      ...shared,
      displayName: 'integration',
      testMatch: under('db', 'activities', 'bot', 'api', 'fakes', 'security'),
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
    // The time-skipping test server and the recorded histories, on the workflow bundle.
    {
      ...shared,
      displayName: 'workflows',
      testMatch: under('workflows', 'replay'),
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
    // Real processes on the dev server, and the browser.
    { ...shared, displayName: 'e2e', testMatch: under('e2e'), globalSetup: '<rootDir>/test/support/global-setup.ts' },
    // The fault-injection suite: the real processes killed, cut off and fed junk; prints a table of
    // figures. Scaled down here; `npm run test:faults` runs it at full scale (test/faults/support/scale.ts).
    {
      ...shared,
      displayName: 'faults',
      testMatch: under('faults'),
      globalSetup: '<rootDir>/test/faults/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/faults/support/global-teardown.ts',
    },
  ],
};
