/**
 * `node --require toolscope/register app.cjs`: the CommonJS twin of
 * `register.ts`. toolscope is ES modules, loaded here with `require(esm)`
 * (Node ≥ 20.19); the registration is synchronous, so the app's first
 * `require` of the SDK is already instrumented. On an older Node the app runs
 * uninstrumented and one line says why on stderr.
 */
declare const require: (id: string) => unknown;

try {
  const instrument = require('./instrument/index.js') as { registerFromEnv(mode: 'cjs'): unknown };
  instrument.registerFromEnv('cjs');
} catch (error) {
  process.stderr.write(
    `[toolscope warn] --require toolscope/register needs require(esm) (Node >= 20.19): ${(error as Error)?.message ?? error}; use --import toolscope/register\n`,
  );
}
