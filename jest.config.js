// Jest runs the TypeScript sources as native ES modules (ts-jest's ESM mode, started with
// `node --experimental-vm-modules`, see package.json). Type checking is done once by `tsc`
// in `npm test`, so ts-jest only transpiles (isolatedModules) and stays fast.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 60_000,
  // WASM-backed TF.js keeps memory per worker process; two cores, so at most two workers.
  maxWorkers: 2,
};
