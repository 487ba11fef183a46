import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_MODULE_PATTERN, protocolOf, resolveSdkModules } from '../../src/instrument/index.js';
import { ROOT } from '../e2e/helpers.js';
import { FIXTURES } from './fixtureRun.js';

describe('resolveSdkModules', () => {
  it('finds the CJS and ESM Protocol modules of every installed SDK line, as the app resolves them', () => {
    const found = Object.fromEntries(resolveSdkModules(ROOT).map((module) => [module.sdk.name, module]));
    const modules = join(ROOT, 'node_modules/@modelcontextprotocol');
    expect(found['@modelcontextprotocol/sdk']).toMatchObject({
      cjs: join(modules, 'sdk/dist/cjs/shared/protocol.js'),
      esm: join(modules, 'sdk/dist/esm/shared/protocol.js'),
    });
    expect(found['@modelcontextprotocol/client']).toMatchObject({
      cjs: join(modules, 'client/dist/index.cjs'),
      esm: join(modules, 'client/dist/index.mjs'),
    });
    expect(found['@modelcontextprotocol/server']?.esm).toBe(join(modules, 'server/dist/index.mjs'));
  });

  it('resolves the copy nearest to the app (SDK 1.10 of its fixture folder, not the root one)', () => {
    const sdk = resolveSdkModules(join(FIXTURES, 'sdk-1.10')).find(
      (module) => module.sdk.name === '@modelcontextprotocol/sdk',
    );
    expect(sdk?.esm).toBe(
      join(FIXTURES, 'sdk-1.10/node_modules/@modelcontextprotocol/sdk/dist/esm/shared/protocol.js'),
    );
  });

  it('skips packages that are not installed', () => {
    expect(resolveSdkModules('/')).toEqual([]);
  });
});

describe('PROTOCOL_MODULE_PATTERN and protocolOf', () => {
  it('match exactly the files that export Protocol', async () => {
    for (const module of resolveSdkModules(ROOT)) {
      for (const file of [module.cjs, module.esm ?? '']) {
        expect(PROTOCOL_MODULE_PATTERN.test(file), file).toBe(true);
        expect(protocolOf(await import(file))).toBeTypeOf('function');
      }
    }
    expect(
      PROTOCOL_MODULE_PATTERN.test(
        join(ROOT, 'node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.js'),
      ),
    ).toBe(false);
    expect(protocolOf({ Protocol: class {} })).toBeUndefined();
    expect(protocolOf(undefined)).toBeUndefined();
  });
});
