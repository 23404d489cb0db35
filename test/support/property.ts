/**
 * Property tests explore new random cases on every developer run, but CI runs a
 * fixed seed (overridable with FC_SEED) so a build is reproducible: a new
 * counterexample found locally is a bug to fix, never a flaky CI.
 */
import fc from 'fast-check';

const seedFromEnv = process.env['FC_SEED'] !== undefined ? Number(process.env['FC_SEED']) : undefined;
const seed = seedFromEnv ?? (process.env['CI'] ? 20261121 : undefined);
if (seed !== undefined && Number.isFinite(seed)) fc.configureGlobal({ seed });

export { fc };
