// Nest 12 ships ES modules only, so Jest runs in its native ESM mode
// (node --experimental-vm-modules, see package.json) and ts-jest emits ESM.
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  // Suites that disturb shared servers (restarting PostgreSQL) run on their own, after the rest:
  // `npm run jest:disruptive`.
  testPathIgnorePatterns: ['/node_modules/', '/test/disruptive/'],
  extensionsToTreatAsEsm: ['.ts'],
  // Sources import './x.js' as Node ESM requires; Jest resolves those to the .ts files.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  testTimeout: 60000,
  // Suites share two cores with the SQLite files and child processes they start.
  maxWorkers: 2,
};
