import { describe, expect, it } from 'vitest';
import { checkStandardHeaders, classifyEra, decodeHeaderValue } from '../../src/gateway/modernProtocol.js';

const meta = (version: unknown, capabilities: unknown = {}) => ({
  'io.modelcontextprotocol/protocolVersion': version,
  'io.modelcontextprotocol/clientCapabilities': capabilities,
});

describe('which revision a POST speaks', () => {
  it('reads the body first: an envelope claim decides, a missing one is 2025-era traffic', () => {
    expect(classifyEra({ method: 'tools/list' }, {})).toEqual({ era: 'legacy' });
    expect(
      classifyEra({ method: 'initialize', params: {} }, { 'mcp-protocol-version': '2026-07-28' }),
    ).toEqual({
      era: 'legacy',
    });
    const modern = classifyEra({ method: 'tools/list', params: { _meta: meta('2026-07-28') } }, {});
    expect(modern).toMatchObject({
      era: 'modern',
      envelope: { protocolVersion: '2026-07-28', clientCapabilities: {} },
    });
  });

  it('refuses what cannot be served, never falling back to legacy', () => {
    const refusal = (era: ReturnType<typeof classifyEra>) =>
      era.era === 'refused' ? era.refusal : undefined;
    expect(
      refusal(classifyEra({ method: 'tools/list' }, { 'mcp-protocol-version': '2026-07-28' })),
    ).toMatchObject({
      status: 400,
      code: -32602,
    });
    expect(
      refusal(classifyEra({ method: 'tools/list', params: { _meta: meta('2099-01-01') } }, {})),
    ).toMatchObject({
      status: 400,
      code: -32022,
      data: { supported: ['2026-07-28'] },
    });
    expect(
      refusal(
        classifyEra(
          { method: 'tools/list', params: { _meta: meta('2026-07-28') } },
          { 'mcp-protocol-version': '2025-11-25' },
        ),
      ),
    ).toMatchObject({ status: 400, code: -32020 });
    expect(
      refusal(classifyEra({ method: 'tools/list', params: { _meta: meta('2026-07-28', null) } }, {})),
    ).toMatchObject({
      code: -32602,
    });
  });
});

describe('standard headers of a 2026-07-28 request', () => {
  const call = { method: 'tools/call', params: { name: 'get_weather' } };
  const headers = {
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': 'tools/call',
    'mcp-name': 'get_weather',
  };

  it('must be present and mirror the body', () => {
    expect(checkStandardHeaders(call, headers)).toBeUndefined();
    expect(checkStandardHeaders(call, { ...headers, 'mcp-name': 'other' })?.code).toBe(-32020);
    expect(checkStandardHeaders(call, { ...headers, 'mcp-method': 'tools/list' })?.code).toBe(-32020);
    const { 'mcp-name': _name, ...withoutName } = headers;
    expect(checkStandardHeaders(call, withoutName)?.code).toBe(-32020);
    expect(
      checkStandardHeaders(
        { method: 'tools/list' },
        { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' },
      ),
    ).toBeUndefined();
  });

  it('decodes the Base64 sentinel, and refuses a malformed one', () => {
    const encoded = `=?base64?${Buffer.from('Hello, 世界').toString('base64')}?=`;
    expect(decodeHeaderValue(encoded)).toBe('Hello, 世界');
    expect(decodeHeaderValue('plain')).toBe('plain');
    expect(decodeHeaderValue('=?base64?not base64!?=')).toBeUndefined();
    expect(
      checkStandardHeaders(
        { method: 'tools/call', params: { name: 'Hello, 世界' } },
        { ...headers, 'mcp-name': encoded },
      ),
    ).toBeUndefined();
  });
});
