import type { Config } from 'jest';
import base from './jest.config';

// Each mutant reruns the tests that cover it: a shorter property run keeps that affordable.
process.env.PROPERTY_RUNS ??= '5';

/**
 * The suite Stryker runs against each mutant: everything that exercises src/ directly. The
 * browser, dist and docs suites test built bundles and declarations, which mutants of src/
 * never reach.
 */
const config: Config = {
  ...base,
  testPathIgnorePatterns: [
    '/node_modules/',
    'frame-browser\\.test\\.ts$',
    'dist\\.test\\.ts$',
    'docs\\.test\\.ts$',
  ],
};

export default config;
