/**
 * `npm run test:faults` sets FAULTS_SCALE=full: the figures (50 leads, 20 kills, 1,000
 * fuzzed inputs). `npm test` runs each scenario scaled down, so CI guards it in about a minute.
 */
export const FULL = process.env.FAULTS_SCALE === 'full';
export const SCALE_NAME = FULL ? 'full' : 'CI (scaled-down)';

/** `full` under `npm run test:faults`, `ci` otherwise. */
export const scaled = (ci: number, full: number): number => (FULL ? full : ci);
