import { setTimeout as sleep } from 'node:timers/promises';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { z } from 'zod';
import type { InProcessService } from '../gateway/index.js';

/** A switch the demo flips to make one tool regress mid-run, then recover. */
export class DemoIncident {
  /** While active, `storage.fetch_record` is blocked on a slow dependency (latency ×6, CPU flat). */
  active = false;
}

const CITIES: Record<string, string> = {
  paris: 'Paris, FR — pop. 2.1M, UTC+1',
  tokyo: 'Tokyo, JP — pop. 14M, UTC+9',
  lima: 'Lima, PE — pop. 10M, UTC−5',
  oslo: 'Oslo, NO — pop. 0.7M, UTC+1',
  nairobi: 'Nairobi, KE — pop. 4.4M, UTC+3',
};

/** CPU-bound on purpose: a named hot function the profiler should find. */
export function countPrimesBelow(limit: number): number {
  let count = 0;
  for (let n = 2; n < limit; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}

function text(value: string) {
  return { content: [{ type: 'text' as const, text: value }] };
}

function server(name: string, register: (server: McpServer) => void): InProcessService {
  return {
    async connect(transport: Transport) {
      const mcp = new McpServer({ name, version: '1.0.0' });
      register(mcp);
      await mcp.connect(transport);
    },
  };
}

/**
 * The demo's services, run in process: a fast lookup, a CPU-heavy computation,
 * a slow I/O-bound fetch (which the incident regresses), and a flaky, non-idempotent submit.
 */
export function demoServices(
  incident: DemoIncident,
  random: () => number = Math.random,
): Record<string, InProcessService> {
  return {
    lookup: server('demo-lookup', (mcp) => {
      mcp.registerTool(
        'city',
        {
          description: 'Look up a city by name (fast, in memory).',
          inputSchema: { name: z.string().describe('City name, e.g. "paris"') },
          annotations: { readOnlyHint: true, idempotentHint: true },
        },
        async ({ name }) => {
          const found = CITIES[name.toLowerCase()];
          return found ? text(found) : { ...text(`No city named "${name}"`), isError: true };
        },
      );
    }),
    compute: server('demo-compute', (mcp) => {
      mcp.registerTool(
        'primes',
        {
          description: 'Count the primes below a limit (CPU-heavy).',
          inputSchema: { limit: z.number().int().min(2).max(2_000_000) },
          annotations: { readOnlyHint: true, idempotentHint: true },
        },
        async ({ limit }) => text(`${countPrimesBelow(limit)} primes below ${limit}`),
      );
    }),
    storage: server('demo-storage', (mcp) => {
      mcp.registerTool(
        'fetch_record',
        {
          description: 'Fetch a record from a slow backing store (I/O-bound).',
          inputSchema: { id: z.string() },
          annotations: { readOnlyHint: true, idempotentHint: true },
        },
        async ({ id }, extra) => {
          const base = 30 + random() * 30;
          await sleep(incident.active ? base * 6 : base, undefined, { signal: extra.signal });
          return text(`record ${id}: ok`);
        },
      );
    }),
    orders: server('demo-orders', (mcp) => {
      mcp.registerTool(
        'submit',
        {
          description: 'Submit an order (flaky downstream; not idempotent).',
          inputSchema: { sku: z.string(), quantity: z.number().int().positive() },
          annotations: { readOnlyHint: false, idempotentHint: false, destructiveHint: false },
        },
        async ({ sku, quantity }) => {
          await sleep(5 + random() * 10);
          const roll = random();
          if (roll < 0.05) throw new Error('payment service unavailable');
          if (roll < 0.12) return { ...text(`order for ${sku} rejected: out of stock`), isError: true };
          return text(`order ${Math.floor(random() * 1e6)} accepted: ${quantity} × ${sku}`);
        },
      );
    }),
  };
}
