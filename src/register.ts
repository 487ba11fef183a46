/**
 * `node --import toolscope/register app.mjs`: starts toolscope's telemetry from
 * the `OTEL_*` environment and instruments every MCP SDK Client and server in
 * the app (SDK 1.x and the 2.x packages), with no code change. The CommonJS
 * twin is `register.cts` (`node --require toolscope/register app.cjs`).
 * See `src/instrument/README.md`.
 */
import { registerFromEnv } from './instrument/index.js';

await registerFromEnv('esm');
