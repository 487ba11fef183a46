import { setImmediate as immediate, setTimeout as sleep } from 'node:timers/promises';
import type { Verdict } from '../../src/analysis/Verdict.js';
import type { NextStage, ToolCall, ToolExecutor, ToolResult } from '../../src/pipeline/ToolCall.js';

/** A minimal ToolCall as the pipeline hands it to the profiling stage. */
export function makeCall(tool: string, kind: ToolExecutor['kind'] = 'in_process', service = 'svc'): ToolCall {
  const executor: ToolExecutor = { kind, execute: async () => ({ content: [] }) };
  return {
    requestedName: tool,
    arguments: undefined,
    params: { name: tool },
    agent: undefined,
    signal: new AbortController().signal,
    inputBytes: 0,
    tool: { ref: { service, tool, key: `${service}/${tool}` }, definition: { name: tool }, executor },
    queueWaitMs: 0,
    inFlightAtStart: 0,
    attempts: 1,
    context: undefined,
    errorType: undefined,
    profile: undefined,
    extensions: {},
  } as unknown as ToolCall;
}

/** Process CPU (user + system) in µs since `from`. */
export function cpuSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return d.user + d.system;
}

/** Burns `micros` of process CPU synchronously and returns the CPU it measured around itself (the truth). */
export function burn(micros: number): number {
  const start = process.cpuUsage();
  let x = 0;
  do {
    for (let i = 0; i < 2000; i++) x += Math.sqrt(i + x);
  } while (cpuSince(start) < micros);
  if (x === -1) console.log(x); // keep the loop from being optimised away
  return cpuSince(start);
}

/** A tool that burns `chunks` × `chunkMicros` of CPU, awaiting between chunks; returns its truth (µs). */
export async function burnInChunks(chunks: number, chunkMicros: number): Promise<number> {
  let truth = 0;
  for (let i = 0; i < chunks; i++) {
    truth += burn(chunkMicros);
    if (i % 2 === 0) await immediate();
    else await sleep(1);
  }
  return truth;
}

/** Shuffles in place (deterministic enough for interleaving: seeded LCG). */
export function shuffle<T>(items: T[], seed = 42): T[] {
  let s = seed;
  for (let i = items.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

export const ok: NextStage = async (): Promise<ToolResult> => ({ content: [] });

/** A critical anomaly verdict on `key` ("service/tool"), as the analyzer hands it to the capture. */
export function anomalousVerdict(key: string): Verdict {
  const [service = '', tool = ''] = key.split('/');
  return {
    ref: { service, tool, key },
    time: Date.now(),
    score: 0.99,
    forestScore: undefined,
    anomaly: true,
    severity: 'critical',
    deviations: [],
    reasons: [],
    recommendations: [],
    class: 'fault',
    detector: 'zscore',
    warmingUp: false,
  };
}
