import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type Meter, metrics, type Tracer, trace } from '@opentelemetry/api';
import {
  CallSpanAnnotator,
  type ContentCapturePolicy,
  type HistogramSource,
  INSTRUMENTATION_SCOPE,
  McpInstruments,
  type NetworkInfo,
  NO_CAPTURE,
  ObservationMetrics,
} from '../telemetry/index.js';
import { VERSION } from '../version.js';
import { attachTracing, isTraced } from './attachTracing.js';
import { InProcessInstrumentation } from './InProcessInstrumentation.js';
import { InProcessToolRunner } from './InProcessToolRunner.js';
import { interceptToolCalls } from './interceptToolCalls.js';
import { networkOf } from './networkOf.js';
import { defineHidden, reportOnce } from './reportOnce.js';

/** Where instrumented connections record. Unset parts come from the global OpenTelemetry API. */
export interface InstrumentationTelemetry {
  /** @default trace.getTracer('toolscope') */
  tracer?: Tracer | undefined;
  /** For `mcp.*.duration` and `toolscope.*` metrics. @default metrics.getMeter('toolscope') */
  meter?: Meter | undefined;
  /**
   * Where the per-call histograms go when toolscope owns the metric readers (`toolscope/register`
   * passes its own `LocalHistograms`, which its readers export). @default meter
   */
  histograms?: HistogramSource | undefined;
  /** Tool arguments/results on spans. @default nothing captured */
  capture?: ContentCapturePolicy | undefined;
}

/** Per-instance options of `instrumentClient` / `instrumentServer`. */
export interface InstrumentOptions {
  /** `network.*` facts of the connection. @default derived from the transport class */
  network?: NetworkInfo | undefined;
}

/** Set on a patched `Protocol.prototype`: the SDK's own `connect`. Shared by every toolscope copy. */
const PATCHED = Symbol.for('toolscope.instrument.protocol');

type Role = 'client' | 'server';
type Connect = (this: object, transport: unknown, ...rest: unknown[]) => unknown;

interface Handles {
  readonly tracer: Tracer;
  readonly instruments: McpInstruments;
  readonly capture: ContentCapturePolicy;
}

/**
 * The process-wide MCP SDK instrumentation. It patches each SDK module
 * instance's `Protocol.prototype.connect` (once; 1.x and each 2.x package have
 * their own), and at every `connect` of an instance it covers — all of them in
 * automatic mode (the register hook), opted-in ones otherwise — traces the
 * transport in place and, for servers, runs `tools/call` handlers in the
 * in-process pipeline (`inProcess`).
 *
 * Telemetry handles are resolved at the first connection, not at startup, so
 * an app that sets up its own OpenTelemetry SDK in its main module (with
 * `TOOLSCOPE_SDK=off`) still gets its providers.
 */
export class McpInstrumentation {
  /** The pipeline in-process tool calls run in; other capabilities add stages and observers here. */
  readonly inProcess: InProcessInstrumentation;
  readonly #optedIn = new WeakMap<object, InstrumentOptions>();
  #automatic = false;
  #telemetry: InstrumentationTelemetry = {};
  #handles: Handles | undefined;
  #unsubscribeMetrics: (() => void) | undefined;
  #stdioServer = false;
  /** Called once, when the first server is instrumented (the register hook starts its runtime then). */
  onFirstServer: (() => void) | undefined;

  constructor(inProcess: InProcessInstrumentation = new InProcessInstrumentation()) {
    this.inProcess = inProcess;
  }

  /** Record through these providers from the next connection on. */
  configure(telemetry: InstrumentationTelemetry): void {
    this.#telemetry = { ...telemetry };
    this.#handles = undefined;
  }

  /**
   * Whether an instrumented server speaks MCP over this process's stdio: then stdout is the
   * protocol's, and nothing else may write there (a console span exporter writes to stderr instead).
   */
  get stdoutCarriesMcp(): boolean {
    return this.#stdioServer;
  }

  /** Whether every connection of a patched SDK is instrumented (the register hook turns this on). */
  get automatic(): boolean {
    return this.#automatic;
  }

  set automatic(on: boolean) {
    this.#automatic = on;
  }

  /**
   * Patch the SDK `Protocol` class a module exports. Idempotent across calls and
   * toolscope copies.
   * @returns whether `protocolClass` is (now) patched.
   */
  patchProtocolClass(protocolClass: unknown): boolean {
    const prototype = (protocolClass as { prototype?: unknown } | null | undefined)?.prototype;
    if (typeof prototype !== 'object' || prototype === null) return false;
    return this.#patchPrototype(prototype);
  }

  /** Instrument one Client, Server or McpServer (before or after `connect`). Never throws. */
  instrument(target: unknown, role: Role, options: InstrumentOptions = {}): void {
    try {
      const protocol = protocolOf(target);
      if (protocol === undefined) {
        reportOnce(
          `instrument${role === 'client' ? 'Client' : 'Server'} (not an MCP SDK ${role})`,
          new TypeError(String(target)),
        );
        return;
      }
      const prototype = connectOwner(protocol);
      if (prototype !== undefined) this.#patchPrototype(prototype);
      this.#optedIn.set(protocol, options);
      const actual = roleOf(protocol) ?? role;
      const handles = this.#resolve();
      const transport = (protocol as { transport?: Transport }).transport;
      if (actual === 'server') this.#interceptTools(protocol, transport);
      if (transport && typeof transport === 'object' && !isTraced(transport)) {
        attachTracing(transport, this.#tracingOptions(handles, actual, transport, options), true);
      }
    } catch (error) {
      reportOnce('instrument', error);
    }
  }

  /** Called by a patched `connect` before the SDK's own: decide, then trace the transport. */
  #onConnect(protocol: object, transport: unknown): void {
    const options = this.#optedIn.get(protocol);
    if (options === undefined && !this.#automatic) return;
    // Transports toolscope already traces (the gateway's and proxy's legs) are left alone.
    if (typeof transport !== 'object' || transport === null || isTraced(transport)) return;
    const role = roleOf(protocol);
    if (role === undefined) return;
    const handles = this.#resolve();
    if (role === 'server') this.#interceptTools(protocol, transport);
    attachTracing(
      transport as Transport,
      this.#tracingOptions(handles, role, transport, options ?? {}),
      false,
    );
  }

  #patchPrototype(prototype: object): boolean {
    if (Object.hasOwn(prototype, PATCHED)) return true;
    const original = (prototype as { connect?: unknown }).connect;
    if (typeof original !== 'function') return false;
    const sdkConnect = original as Connect;
    const onConnect = (protocol: object, transport: unknown) => this.#onConnect(protocol, transport);
    // The SDK's promise is returned as is: its result, rejection and error objects reach the caller unchanged.
    const connect: Connect = function connect(this: object, transport: unknown, ...rest: unknown[]) {
      try {
        onConnect(this, transport);
      } catch (error) {
        reportOnce('connect', error);
      }
      return sdkConnect.call(this, transport, ...rest);
    };
    defineHidden(prototype, 'connect', connect);
    defineHidden(prototype, PATCHED, original);
    return true;
  }

  #interceptTools(server: object, transport: unknown): void {
    if (
      typeof transport === 'object' &&
      transport !== null &&
      networkOf(transport, 'server').transport === 'pipe'
    )
      this.#stdioServer = true;
    const first = this.onFirstServer;
    if (first) {
      this.onFirstServer = undefined;
      try {
        first();
      } catch (error) {
        reportOnce('starting the in-process runtime', error);
      }
    }
    const registry = this.inProcess;
    const service = () => serverName(server);
    interceptToolCalls(server, (handler) => {
      const runner = new InProcessToolRunner(registry, service, handler);
      return (request, extra) => runner.run(request, extra);
    });
  }

  #tracingOptions(handles: Handles, role: Role, transport: object, options: InstrumentOptions) {
    return {
      tracer: handles.tracer,
      instruments: handles.instruments,
      role,
      network: options.network ?? networkOf(transport, role),
      capture: handles.capture,
    };
  }

  #resolve(): Handles {
    if (this.#handles !== undefined) return this.#handles;
    const meter = this.#telemetry.meter ?? metrics.getMeter(INSTRUMENTATION_SCOPE, VERSION);
    const histograms = this.#telemetry.histograms ?? meter;
    this.#handles = {
      tracer: this.#telemetry.tracer ?? trace.getTracer(INSTRUMENTATION_SCOPE, VERSION),
      instruments: new McpInstruments(histograms),
      capture: this.#telemetry.capture ?? NO_CAPTURE,
    };
    this.#unsubscribeMetrics?.();
    const unsubscribeMetrics = this.inProcess.subscribe(
      new ObservationMetrics(histograms, { admission: false }),
    );
    const unsubscribeSpans = this.inProcess.subscribe(new CallSpanAnnotator({ admission: false }));
    this.#unsubscribeMetrics = () => {
      unsubscribeMetrics();
      unsubscribeSpans();
    };
    return this.#handles;
  }
}

/** The SDK original of a patched `connect` (tests, and undoing nothing else). */
export function isPatchedProtocol(protocolClass: unknown): boolean {
  const prototype = (protocolClass as { prototype?: object } | undefined)?.prototype;
  return prototype !== undefined && Object.hasOwn(prototype, PATCHED);
}

/** The `Protocol` instance behind a Client, Server or McpServer (which holds its Server as `.server`). */
function protocolOf(target: unknown): object | undefined {
  if (typeof target !== 'object' || target === null) return undefined;
  if (isProtocol(target)) return target;
  const inner = (target as { server?: unknown }).server;
  return typeof inner === 'object' && inner !== null && isProtocol(inner) ? inner : undefined;
}

function isProtocol(candidate: object): boolean {
  const probe = candidate as { connect?: unknown; setRequestHandler?: unknown; request?: unknown };
  return (
    typeof probe.connect === 'function' &&
    typeof probe.setRequestHandler === 'function' &&
    typeof probe.request === 'function'
  );
}

/** The root class in the prototype chain that defines `connect`: the SDK's `Protocol`. */
function connectOwner(protocol: object): object | undefined {
  let owner: object | undefined;
  for (
    let prototype = Object.getPrototypeOf(protocol);
    prototype !== null && prototype !== Object.prototype;
    prototype = Object.getPrototypeOf(prototype)
  ) {
    if (Object.hasOwn(prototype, 'connect')) owner = prototype;
  }
  return owner;
}

function roleOf(protocol: object): Role | undefined {
  const probe = protocol as { callTool?: unknown; listTools?: unknown; getClientCapabilities?: unknown };
  if (typeof probe.callTool === 'function' && typeof probe.listTools === 'function') return 'client';
  if (typeof probe.getClientCapabilities === 'function') return 'server';
  return undefined;
}

function serverName(server: object): string {
  const name = (server as { _serverInfo?: { name?: unknown } })._serverInfo?.name;
  return typeof name === 'string' && name.length > 0 ? name : 'mcp-server';
}
