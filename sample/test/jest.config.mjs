// Jest for a Nest 12 app. Nest 12 (and ZapJobs) ship ES modules only, which Jest's default CommonJS
// mode cannot load: Jest runs in its native ESM mode (node --experimental-vm-modules, see the
// package.json script) and ts-jest emits ESM.
export default {
  testEnvironment: 'node',
  testMatch: ['**/*.spec.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  // Sources import './x.js' as Node ESM requires; Jest resolves those to the .ts files.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
};
