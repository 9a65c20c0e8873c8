import type { Config } from 'jest';
import base from './jest.config';

// Each mutant reruns the tests that cover it: a shorter property run keeps that affordable.
process.env.PROPERTY_RUNS ??= '5';

/**
 * The suite Stryker runs against each mutant: everything that exercises src/ directly. The
 * browser, dist, docs, package and consumer-compile suites test built bundles and declarations,
 * which mutants of src/ never reach. The rate limit's real-HTTP suite waits out real seconds
 * (about 30 s a run); its property test and unit tests cover the same code on fake time.
 */
const config: Config = {
  ...base,
  testPathIgnorePatterns: [
    '/node_modules/',
    'frame-browser\\.test\\.ts$',
    'coordination-browser\\.test\\.ts$',
    'dist\\.test\\.ts$',
    'docs\\.test\\.ts$',
    'package\\.test\\.ts$',
    'consumer-compile\\.test\\.ts$',
    'rate-limit-http\\.test\\.ts$',
  ],
};

export default config;
