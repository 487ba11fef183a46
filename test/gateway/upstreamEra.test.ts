import { describe, expect, it } from 'vitest';
import { asLegacyResult, discoverAsInitialize, withEnvelope } from '../../src/gateway/upstreamEra.js';
import { cacheHintOf, combineHints } from '../../src/gateway/upstreamLists.js';

const identity = {
  capabilities: { sampling: {} },
  clientInfo: { name: 'client-A', version: '1' },
  logLevel: 'info',
};

describe('withEnvelope', () => {
  it("puts the caller's identity in _meta, replacing whatever envelope the params carried", () => {
    const params = {
      name: 'tool',
      _meta: {
        progressToken: 7,
        'io.modelcontextprotocol/clientInfo': { name: 'someone-else' },
        'io.modelcontextprotocol/protocolVersion': '2025-11-25',
      },
    };
    expect(withEnvelope(params, identity)).toEqual({
      name: 'tool',
      _meta: {
        progressToken: 7,
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientCapabilities': { sampling: {} },
        'io.modelcontextprotocol/clientInfo': { name: 'client-A', version: '1' },
        'io.modelcontextprotocol/logLevel': 'info',
      },
    });
  });

  it('leaves out what the caller did not say', () => {
    const meta = withEnvelope(undefined, {
      capabilities: {},
      clientInfo: undefined,
      logLevel: undefined,
    })._meta;
    expect(Object.keys(meta as object).sort()).toEqual([
      'io.modelcontextprotocol/clientCapabilities',
      'io.modelcontextprotocol/protocolVersion',
    ]);
  });
});

describe('discoverAsInitialize', () => {
  const discover = {
    supportedVersions: ['2026-07-28'],
    capabilities: { tools: {} },
    instructions: 'hello',
    _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'modern', version: '2' } },
  };

  it('answers a legacy client with the revision it asked for, when toolscope speaks it', () => {
    expect(discoverAsInitialize(discover, '2025-06-18')).toEqual({
      protocolVersion: '2025-06-18',
      capabilities: { tools: {} },
      serverInfo: { name: 'modern', version: '2' },
      instructions: 'hello',
    });
    expect(discoverAsInitialize(discover, '1999-01-01').protocolVersion).toBe('2025-11-25');
  });
});

describe('asLegacyResult', () => {
  it('drops the fields only 2026-07-28 has, and nothing else', () => {
    expect(
      asLegacyResult({ resultType: 'complete', ttlMs: 5, cacheScope: 'public', content: [], isError: false }),
    ).toEqual({ content: [], isError: false });
  });
});

describe('cache hints', () => {
  it('reads only a valid ttlMs; an unknown scope counts as private', () => {
    expect(cacheHintOf({ ttlMs: 1000, cacheScope: 'public' })).toEqual({ ttlMs: 1000, cacheScope: 'public' });
    expect(cacheHintOf({ ttlMs: 1000, cacheScope: 'shared?' })).toEqual({
      ttlMs: 1000,
      cacheScope: 'private',
    });
    expect(cacheHintOf({ ttlMs: -1 })).toBeUndefined();
    expect(cacheHintOf({ ttlMs: 1.5 })).toBeUndefined();
    expect(cacheHintOf({ tools: [] })).toBeUndefined();
  });

  it('combines to the shorter lifetime, private when either is', () => {
    expect(combineHints({ ttlMs: 100, cacheScope: 'public' }, { ttlMs: 50, cacheScope: 'private' })).toEqual({
      ttlMs: 50,
      cacheScope: 'private',
    });
    expect(combineHints(undefined, { ttlMs: 5, cacheScope: 'public' })).toEqual({
      ttlMs: 5,
      cacheScope: 'public',
    });
    expect(combineHints(undefined, undefined)).toBeUndefined();
  });
});
