// Seven suites: unit (pure logic, fast), workflow (the real Temporal dev server with fake
// host activities), front (the front's steps on a real HAProxy, with local backends), e2e (the
// real lab: Temporal, host workers, runc, CRIU), faults (failures injected in every phase on the
// lab), kernel (pre-copy in a VM whose kernel tracks dirty memory), ui (headless Chromium drives
// the lab's Temporal Web UI: start a migration, filter, failures).
const base = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: { warnOnly: false } }] },
};

module.exports = {
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...base, displayName: 'workflow', testMatch: ['<rootDir>/test/workflow/**/*.test.ts'] },
    { ...base, displayName: 'front', testMatch: ['<rootDir>/test/front/**/*.test.ts'] },
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
    { ...base, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.test.ts'] },
    { ...base, displayName: 'kernel', testMatch: ['<rootDir>/test/kernel/**/*.test.ts'] },
    { ...base, displayName: 'ui', testMatch: ['<rootDir>/test/ui/**/*.test.ts'] },
  ],
};
