import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api';

type Carrier = Record<string, unknown>;

const metaGetter: TextMapGetter<Carrier> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    return typeof value === 'string' ? value : undefined;
  },
};

type Headers = Record<string, string | string[] | undefined>;

const headerGetter: TextMapGetter<Headers> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key.toLowerCase()] ?? carrier[key];
    return Array.isArray(value) ? value[0] : value;
  },
};

/**
 * The context a received MCP message continues: trace context from
 * `params._meta` (unprefixed `traceparent`/`tracestate`/`baggage`, SEP-414),
 * else from the HTTP request headers that carried it, else none (a new trace).
 * Extraction uses the globally configured propagators.
 */
export function extractContext(meta: unknown, headers: Headers | undefined): Context {
  // Fast path: most messages carry no trace context at all; skip the propagator chain.
  const inMeta =
    typeof meta === 'object' && meta !== null && typeof (meta as Carrier).traceparent === 'string';
  if (!inMeta && headers?.traceparent === undefined) return ROOT_CONTEXT;
  if (inMeta) {
    const extracted = propagation.extract(ROOT_CONTEXT, meta as Carrier, metaGetter);
    if (trace.getSpanContext(extracted)) return extracted;
  }
  if (headers) {
    const extracted = propagation.extract(ROOT_CONTEXT, headers, headerGetter);
    if (trace.getSpanContext(extracted)) return extracted;
  }
  return ROOT_CONTEXT;
}

/**
 * A copy of `params` whose `_meta` carries `ctx`'s trace context. The caller's
 * objects are never mutated (the SDK and apps may hold on to them).
 */
export function injectContext(
  params: Record<string, unknown> | undefined,
  ctx: Context,
): Record<string, unknown> {
  const meta: Carrier = { ...((params?._meta as Carrier | undefined) ?? {}) };
  propagation.inject(ctx, meta);
  return { ...params, _meta: meta };
}

/** The currently active context (exported for symmetry with the transport code). */
export function activeContext(): Context {
  return context.active();
}
