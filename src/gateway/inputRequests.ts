import { randomUUID } from 'node:crypto';
import type { Context } from '@opentelemetry/api';
import type { IncomingRequestContext } from '../jsonrpc/JsonRpcPeer.js';
import type { JsonRpcId, JsonRpcRequest } from '../jsonrpc/messages.js';
import { JsonRpcCode, ToolscopeError } from '../pipeline/index.js';
import { type Caller, requiredCapability } from './Caller.js';

/** One request a 2026-07-28 server embeds in an `input_required` result. */
export interface InputRequest {
  method: string;
  params?: Record<string, unknown>;
}

/** Rounds of `input_required` one call may take before toolscope gives up on it (a server asking forever). */
export const MAX_INPUT_ROUNDS = 16;

/**
 * Answer what a 2026-07-28 server asked for, on behalf of a 2025-11-25 caller: each input
 * request becomes a server-to-client request to that caller (related to its request `origin`,
 * so it travels on that request's stream), and the answers come back under the keys the server
 * chose. A request the caller has not declared the capability for fails the round, with the
 * reason, rather than being sent to a client that cannot answer it.
 */
export async function answerInputRequests(
  caller: Caller,
  origin: JsonRpcId | undefined,
  inputRequests: unknown,
  options: { signal?: AbortSignal | undefined; context?: Context | undefined },
): Promise<Record<string, unknown>> {
  if (typeof inputRequests !== 'object' || inputRequests === null) return {};
  const signal = options.signal ?? new AbortController().signal;
  const answers = await Promise.all(
    Object.entries(inputRequests as Record<string, InputRequest>).map(async ([key, embedded]) => {
      const request = asLegacyRequest(key, embedded);
      const capability = requiredCapability(request);
      if (capability && !caller.supports(capability)) {
        throw new ToolscopeError(
          'internal',
          JsonRpcCode.InvalidRequest,
          `the server asked for ${request.method}, which the client does not support (${capability})`,
        );
      }
      const context: IncomingRequestContext = {
        id: key,
        signal,
        byteLength: 0,
        extra: undefined,
        traceContext: options.context,
      };
      return [key, await caller.serverRequest(request, origin, context)] as const;
    }),
  );
  return Object.fromEntries(answers);
}

/** An embedded 2026-07-28 input request as a 2025-11-25 server-to-client request. */
function asLegacyRequest(key: string, embedded: InputRequest): JsonRpcRequest {
  const params = { ...(embedded.params ?? {}) };
  // 2025-11-25 URL elicitation names itself; 2026-07-28 correlates through requestState instead.
  if (embedded.method === 'elicitation/create' && params.mode === 'url' && params.elicitationId === undefined)
    params.elicitationId = randomUUID();
  return { jsonrpc: '2.0', id: key, method: String(embedded.method), params };
}
