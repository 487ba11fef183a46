/**
 * ES module load hook (`module.register`), registered by the register hook only
 * when the app can reach SDK copies that eager loading would miss (a library's
 * nested SDK). It appends one statement to the modules that export the SDK's
 * `Protocol` (SDK 1.x `dist/esm/shared/protocol.js`, 2.x `dist/index.mjs`):
 * the module imports its own namespace and hands it to the main thread's
 * callback, which patches `Protocol.prototype.connect`. Nothing else is
 * rewritten, and the appended line cannot throw into the module.
 *
 * Runs on Node's loader thread: it must not import toolscope's other modules.
 */

const PROTOCOL_MODULE =
  /\/@modelcontextprotocol\/(?:sdk\/dist\/esm\/shared\/protocol\.js|(?:client|server)\/dist\/index\.mjs)$/;

/** The global the main thread installs (see `autoInstrument.ts`). */
const CALLBACK = "Symbol.for('toolscope.instrument.protocolModule')";

interface LoadContext {
  format?: string | null | undefined;
}
interface LoadResult {
  format?: string | null | undefined;
  source?: string | ArrayBuffer | ArrayBufferView | null | undefined;
  shortCircuit?: boolean;
}
type NextLoad = (url: string, context?: LoadContext) => Promise<LoadResult>;

export async function load(url: string, context: LoadContext, nextLoad: NextLoad): Promise<LoadResult> {
  const result = await nextLoad(url, context);
  if (!PROTOCOL_MODULE.test(url) || result.format !== 'module' || result.source == null) return result;
  const source =
    typeof result.source === 'string' ? result.source : new TextDecoder().decode(result.source as Uint8Array);
  const self = JSON.stringify(url);
  const appended =
    `\nimport * as __toolscopeProtocolModule from ${self};\n` +
    `try { globalThis[${CALLBACK}]?.(__toolscopeProtocolModule, ${self}); } catch {}\n`;
  return { ...result, source: source + appended };
}
