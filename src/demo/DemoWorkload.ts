import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { quietSignalFetch } from '../gateway/index.js';

/** One kind of call the synthetic agents make. */
interface CallTemplate {
  weight: number;
  name: string;
  args: (random: () => number) => Record<string, unknown>;
}

// Mostly real cities; now and then one that does not exist (a tool error, as models make).
const CITY_NAMES = [
  'paris',
  'tokyo',
  'lima',
  'oslo',
  'nairobi',
  'paris',
  'tokyo',
  'lima',
  'oslo',
  'nairobi',
  'paris',
  'tokyo',
  'lima',
  'oslo',
  'nairobi',
  'atlantis',
];

/** The agents' mix: mostly good calls, plus the mistakes real models make (bad arguments, wrong names). */
const MIX: readonly CallTemplate[] = [
  {
    weight: 33,
    name: 'lookup_city',
    args: (r) => ({ name: CITY_NAMES[Math.floor(r() * CITY_NAMES.length)] }),
  },
  { weight: 30, name: 'storage_fetch_record', args: (r) => ({ id: `r-${Math.floor(r() * 1000)}` }) },
  { weight: 15, name: 'compute_primes', args: (r) => ({ limit: 20_000 + Math.floor(r() * 40_000) }) },
  {
    weight: 16,
    name: 'orders_submit',
    args: (r) => ({ sku: `sku-${Math.floor(r() * 50)}`, quantity: 1 + Math.floor(r() * 3) }),
  },
  { weight: 4, name: 'compute_primes', args: () => ({ limit: 'many' }) },
  { weight: 2, name: 'lookup_cty', args: () => ({ name: 'paris' }) },
];

/** Progress of a running workload. */
export interface WorkloadProgress {
  elapsedMs: number;
  durationMs: number;
  sent: number;
  completed: number;
  /** Calls answered with a JSON-RPC error (`unknownTool` among them). */
  failed: number;
  /** Calls refused because the tool does not exist (JSON-RPC -32602): they have no tool row. */
  unknownTool: number;
  inFlight: number;
}

export interface WorkloadOptions {
  /** Gateway MCP endpoint, e.g. `http://127.0.0.1:8765/mcp`. */
  url: string;
  durationMs: number;
  /** Offered load, calls per second. @default 40 */
  ratePerSecond?: number;
  /** Agent connections sharing the load. @default 4 */
  agents?: number;
  /** Calls allowed in flight at once (bounds memory if the gateway stalls). @default 64 */
  maxInFlight?: number;
  headers?: Record<string, string>;
  random?: () => number;
  onProgress?: (progress: WorkloadProgress) => void;
}

/**
 * A synthetic agent workload: Poisson arrivals at a fixed offered rate, spread
 * over several MCP client sessions talking Streamable HTTP to the gateway,
 * as a real fleet of agents would.
 */
export async function runWorkload(options: WorkloadOptions): Promise<WorkloadProgress> {
  const random = options.random ?? Math.random;
  const rate = options.ratePerSecond ?? 40;
  const maxInFlight = options.maxInFlight ?? 64;
  const clients: Client[] = [];
  for (let i = 0; i < (options.agents ?? 4); i++) {
    const client = new Client({ name: `demo-agent-${i + 1}`, version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(options.url), {
        requestInit: { headers: options.headers ?? {} },
        fetch: quietSignalFetch,
      }),
    );
    clients.push(client);
  }
  const totalWeight = MIX.reduce((sum, template) => sum + template.weight, 0);
  const pick = (): CallTemplate => {
    let roll = random() * totalWeight;
    for (const template of MIX) {
      roll -= template.weight;
      if (roll <= 0) return template;
    }
    return MIX[0] as CallTemplate;
  };
  const progress: WorkloadProgress = {
    elapsedMs: 0,
    durationMs: options.durationMs,
    sent: 0,
    completed: 0,
    failed: 0,
    unknownTool: 0,
    inFlight: 0,
  };
  const start = performance.now();
  const inFlight = new Set<Promise<void>>();
  let nextAt = 0;
  let report = 0;
  while (true) {
    const elapsed = performance.now() - start;
    progress.elapsedMs = Math.min(elapsed, options.durationMs);
    if (elapsed - report >= 200) {
      report = elapsed;
      options.onProgress?.({ ...progress, inFlight: inFlight.size });
    }
    if (elapsed >= options.durationMs) break;
    if (elapsed < nextAt || inFlight.size >= maxInFlight) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(20, nextAt - elapsed))));
      continue;
    }
    nextAt += (-Math.log(1 - random()) / rate) * 1000;
    const template = pick();
    const client = clients[progress.sent % clients.length] as Client;
    progress.sent++;
    const call = client
      .callTool({ name: template.name, arguments: template.args(random) })
      .then(
        () => {
          progress.completed++;
        },
        (error: unknown) => {
          progress.failed++;
          if ((error as { code?: unknown }).code === -32602) progress.unknownTool++;
        },
      )
      .finally(() => inFlight.delete(call));
    inFlight.add(call);
  }
  await Promise.allSettled(inFlight);
  options.onProgress?.({ ...progress, inFlight: 0 });
  await Promise.allSettled(clients.map((client) => client.close()));
  return progress;
}
