import { describe, expect, it } from 'vitest';
import { load } from '../../src/instrument/esmLoaderHook.js';

const PROTOCOL_URL =
  'file:///app/node_modules/lib/node_modules/@modelcontextprotocol/sdk/dist/esm/shared/protocol.js';

describe('the ES module load hook', () => {
  it('appends a guarded hand-over of the module namespace to the modules that export Protocol', async () => {
    const result = await load(PROTOCOL_URL, {}, async () => ({
      format: 'module',
      source: 'export class Protocol {}',
    }));
    const source = String(result.source);
    expect(source.startsWith('export class Protocol {}')).toBe(true);
    expect(source).toContain(`import * as __toolscopeProtocolModule from ${JSON.stringify(PROTOCOL_URL)};`);
    expect(source).toContain("try { globalThis[Symbol.for('toolscope.instrument.protocolModule')]?.(");
  });

  it('decodes byte sources and keeps the format', async () => {
    const url = 'file:///app/node_modules/@modelcontextprotocol/client/dist/index.mjs';
    const bytes = new TextEncoder().encode('export { v as Protocol } from "./src.mjs";');
    const result = await load(url, {}, async () => ({ format: 'module', source: bytes }));
    expect(result.format).toBe('module');
    expect(String(result.source)).toMatch(/^export \{ v as Protocol \}/);
  });

  it('passes every other module through untouched', async () => {
    const original = { format: 'module', source: 'export const x = 1;' };
    for (const url of [
      'file:///app/main.mjs',
      'file:///app/node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.js',
    ]) {
      expect(await load(url, {}, async () => original)).toBe(original);
    }
    const commonjs = { format: 'commonjs', source: null };
    expect(await load(PROTOCOL_URL, {}, async () => commonjs)).toBe(commonjs);
  });
});
