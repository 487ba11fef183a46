import { JsonRpcCode, ToolscopeError } from '../pipeline/index.js';
import type { Scope } from './Scope.js';

/**
 * Which service of a scope answers a prompt, resource or completion request, and the
 * params it gets (names as the service knows them). `undefined` for other methods.
 */
export function routeRequest(
  scope: Scope,
  method: string,
  params: Record<string, unknown>,
): { service: string; params: Record<string, unknown> } | undefined {
  switch (method) {
    case 'prompts/get': {
      const entry = scope.prompts.resolve(String(params.name ?? ''));
      return { service: entry.service, params: { ...params, name: entry.originalName } };
    }
    case 'resources/read':
      return { service: scope.resourceService(String(params.uri ?? '')), params };
    case 'completion/complete': {
      const ref = (params.ref ?? {}) as Record<string, unknown>;
      if (ref.type === 'ref/prompt') {
        const entry = scope.prompts.resolve(String(ref.name ?? ''));
        return { service: entry.service, params: { ...params, ref: { ...ref, name: entry.originalName } } };
      }
      if (ref.type === 'ref/resource')
        return { service: scope.resourceService(String(ref.uri ?? '')), params };
      throw new ToolscopeError(
        'invalid_params',
        JsonRpcCode.InvalidParams,
        'completion/complete needs a ref/prompt or ref/resource',
      );
    }
    default:
      return undefined;
  }
}
