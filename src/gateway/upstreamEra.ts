import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import type { JsonRpcPeer } from '../jsonrpc/JsonRpcPeer.js';
import { ToolscopeError, UpstreamRpcError } from '../pipeline/index.js';
import type { CallerIdentity } from './Caller.js';
import {
  META_CLIENT_CAPABILITIES,
  META_CLIENT_INFO,
  META_LOG_LEVEL,
  META_PROTOCOL_VERSION,
  META_SERVER_INFO,
  MODERN_VERSION,
  UNSUPPORTED_PROTOCOL_VERSION,
} from './modernProtocol.js';

/** What an upstream server speaks: 2025-11-25 and earlier (`legacy`), or 2026-07-28 (`modern`). */
export type Era = 'legacy' | 'modern';

/**
 * What the gateway knows about what one service speaks, learned by the first connection that
 * asks and kept for the service's later connections (restarts, client sessions' own), so a
 * legacy server is probed once per gateway, not per connection.
 */
export interface EraMemory {
  known(): Era | undefined;
  learn(era: Era): void;
}

/** A memory that always knows (toolscope's own in-process services, a configured revision). */
export function fixedEra(era: Era): EraMemory {
  return { known: () => era, learn: () => {} };
}

/** A memory that starts empty. */
export function learnedEra(initial?: Era): EraMemory {
  let era = initial;
  return {
    known: () => era,
    learn: (learnt) => {
      era = learnt;
    },
  };
}

/** The outcome of asking a server `server/discover`. */
export type ProbeVerdict = { era: 'modern'; discover: Record<string, unknown> } | { era: 'legacy' };

/**
 * Ask `server/discover` (the 2026-07-28 handshake) and judge the answer as the v2 SDK client
 * does: a result naming 2026-07-28 among its versions is a modern server; a JSON-RPC error
 * (a 2025 server's "Method not found", "Server not initialized"), an HTTP 4xx, or on stdio no
 * answer within `timeoutMs`, is a legacy one. An unreachable server, or an HTTP 5xx, is neither:
 * that error is thrown.
 */
export async function probeEra(
  peer: JsonRpcPeer,
  identity: CallerIdentity,
  options: { timeoutMs: number; silenceMeansLegacy: boolean; signal?: AbortSignal | undefined },
): Promise<ProbeVerdict> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let result: Record<string, unknown>;
  try {
    result = await peer.request('server/discover', withEnvelope({}, identity), { signal });
  } catch (error) {
    if (error instanceof UpstreamRpcError) {
      const status = (error.data as { status?: unknown } | undefined)?.status;
      if (typeof status === 'number' && status >= 500) throw error;
      if (error.code === UNSUPPORTED_PROTOCOL_VERSION) {
        const supported = (error.data as { supported?: unknown } | undefined)?.supported;
        if (Array.isArray(supported) && supported.some((v) => typeof v === 'string' && v >= MODERN_VERSION))
          throw new Error(`the server speaks none of toolscope's revisions: ${supported.join(', ')}`);
      }
      return { era: 'legacy' };
    }
    if (timeout.aborted && !options.signal?.aborted && options.silenceMeansLegacy) return { era: 'legacy' };
    throw error instanceof ToolscopeError || error instanceof Error ? error : new Error(String(error));
  }
  const versions = result.supportedVersions;
  if (Array.isArray(versions) && versions.includes(MODERN_VERSION))
    return { era: 'modern', discover: result };
  return { era: 'legacy' };
}

/**
 * A request's params with the 2026-07-28 envelope for `identity` in `_meta`: whatever envelope
 * keys they carried (a downstream client's own) are replaced, other `_meta` keys kept.
 */
export function withEnvelope(
  params: Record<string, unknown> | undefined,
  identity: CallerIdentity,
): Record<string, unknown> {
  const meta: Record<string, unknown> = {};
  for (const [key, value] of Object.entries((params?._meta as Record<string, unknown> | undefined) ?? {}))
    if (!key.startsWith('io.modelcontextprotocol/')) meta[key] = value;
  meta[META_PROTOCOL_VERSION] = MODERN_VERSION;
  meta[META_CLIENT_CAPABILITIES] = identity.capabilities;
  if (identity.clientInfo) meta[META_CLIENT_INFO] = identity.clientInfo;
  if (identity.logLevel) meta[META_LOG_LEVEL] = identity.logLevel;
  return { ...params, _meta: meta };
}

/**
 * A modern server's `server/discover` result in the shape the gateway keeps for every server
 * (an `initialize` result): capabilities, instructions, server info, and the revision a
 * legacy client asking `requested` is answered with.
 */
export function discoverAsInitialize(
  discover: Record<string, unknown>,
  requested?: string,
): Record<string, unknown> {
  const meta = (discover._meta as Record<string, unknown> | undefined) ?? {};
  const serverInfo = (meta[META_SERVER_INFO] ??
    discover.serverInfo ?? {
      name: 'unknown',
      version: '0',
    }) as Record<string, unknown>;
  const result: Record<string, unknown> = {
    protocolVersion:
      requested !== undefined && SUPPORTED_PROTOCOL_VERSIONS.includes(requested)
        ? requested
        : LATEST_PROTOCOL_VERSION,
    capabilities: (discover.capabilities as Record<string, unknown> | undefined) ?? {},
    serverInfo,
  };
  if (typeof discover.instructions === 'string') result.instructions = discover.instructions;
  return result;
}

/** A 2026-07-28 result as a 2025-11-25 caller reads it: without the fields only the new revision has. */
export function asLegacyResult(result: Record<string, unknown>): Record<string, unknown> {
  if (!('resultType' in result) && !('ttlMs' in result) && !('cacheScope' in result)) return result;
  const { resultType: _type, ttlMs: _ttl, cacheScope: _scope, ...rest } = result;
  return rest;
}
