import type { LoadState } from '../load/index.js';
import {
  F_CPU,
  F_CPU_RATIO,
  F_ERROR,
  F_HEAP,
  F_IN_FLIGHT,
  F_INPUT,
  F_LATENCY,
  F_OUTPUT,
  F_QUEUE,
} from './Features.js';
import type { MemoryTrendState } from './MemoryTrend.js';
import type { BrokenRelation } from './ToolBaseline.js';
import type { Detector, VerdictClass } from './Verdict.js';

/** What the analyzer knows about an anomalous tool, in natural units, indexed by feature. */
export interface AnomalyFacts {
  /** Bit j set: feature j deviates materially (primary or context). */
  readonly material: number;
  /** Recent typical value (median of the latest calls); `error` holds the recent error rate. */
  readonly recent: ArrayLike<number>;
  /** Baseline typical value; `error` holds the baseline error rate. */
  readonly typical: ArrayLike<number>;
  /** True when the isolation forest also finds the recent calls unusual. */
  readonly forestAgrees: boolean;
  /** The verdict's class and detector (absent: a fault found by the per-feature evidence). */
  readonly verdictClass?: VerdictClass | undefined;
  readonly detector?: Detector | undefined;
  /** The tool's load when judged. */
  readonly load?: LoadState | undefined;
  /** The upstream memory trend (leaks). */
  readonly memory?: MemoryTrendState | undefined;
  /** The relation the forest found broken. */
  readonly relation?: BrokenRelation | undefined;
}

/** Human-readable reasons and actionable hints for a verdict. */
export interface Explanation {
  readonly reasons: readonly string[];
  readonly recommendations: readonly string[];
}

const has = (mask: number, j: number) => (mask & (1 << j)) !== 0;

function ms(v: number): string {
  if (v >= 10_000) return `${(v / 1000).toFixed(0)} s`;
  if (v >= 1000) return `${(v / 1000).toFixed(1)} s`;
  return v >= 10 ? `${v.toFixed(0)} ms` : `${v.toFixed(1)} ms`;
}

function bytes(v: number): string {
  const a = Math.abs(v);
  if (a >= 1024 * 1024) return `${(v / 1024 / 1024).toFixed(1)} MiB`;
  if (a >= 1024) return `${(v / 1024).toFixed(0)} KiB`;
  return `${v.toFixed(0)} B`;
}

function times(recent: number, typical: number): string {
  if (!(typical > 0)) return 'up from 0';
  const r = recent / typical;
  // Past 1000× the typical figure is next to nothing: a ratio would only say how small.
  if (r >= 1000) return 'up from next to nothing';
  return r >= 10 ? `${r.toFixed(0)}× typical` : `${r.toFixed(1)}× typical`;
}

const pct = (v: number) => `${(v * 100).toFixed(v < 0.1 ? 1 : 0)} %`;

/**
 * Turns the deviating features into reasons ("latency 2.3× typical (190 ms vs 82 ms)")
 * and recommendations ("latency up with CPU flat → blocked on I/O or a slow
 * dependency"). Runs only for anomalous verdicts, and its result is cached per
 * tool, so the string building stays off the common path.
 */
export function explainAnomaly(facts: AnomalyFacts): Explanation {
  const { material: m, recent: r, typical: t } = facts;
  const reasons: string[] = [];
  const recs: string[] = [];
  const up = (j: number) => has(m, j) && (r[j] as number) > (t[j] as number);
  const down = (j: number) => has(m, j) && (r[j] as number) < (t[j] as number);

  if (has(m, F_LATENCY)) {
    reasons.push(
      `latency ${times(r[F_LATENCY]!, t[F_LATENCY]!)} (${ms(r[F_LATENCY]!)} vs ${ms(t[F_LATENCY]!)})`,
    );
  }
  if (has(m, F_CPU)) {
    reasons.push(
      `CPU per call ${times(r[F_CPU]!, t[F_CPU]!)} (${ms(r[F_CPU]! / 1000)} vs ${ms(t[F_CPU]! / 1000)})`,
    );
  }
  if (has(m, F_CPU_RATIO)) {
    reasons.push(
      `CPU share of the call ${(r[F_CPU_RATIO]! * 100).toFixed(0)} % (typical ${(t[F_CPU_RATIO]! * 100).toFixed(0)} %)`,
    );
  }
  if (has(m, F_HEAP)) {
    reasons.push(
      `heap per call ${times(r[F_HEAP]!, t[F_HEAP]!)} (${bytes(r[F_HEAP]!)} vs ${bytes(t[F_HEAP]!)})`,
    );
  }
  if (has(m, F_ERROR)) reasons.push(`error rate ${pct(r[F_ERROR]!)} (baseline ${pct(t[F_ERROR]!)})`);
  if (has(m, F_OUTPUT)) {
    reasons.push(
      `results ${times(r[F_OUTPUT]!, t[F_OUTPUT]!)} in size (${bytes(r[F_OUTPUT]!)} vs ${bytes(t[F_OUTPUT]!)})`,
    );
  }
  if (has(m, F_INPUT)) {
    reasons.push(
      `arguments ${times(r[F_INPUT]!, t[F_INPUT]!)} in size (${bytes(r[F_INPUT]!)} vs ${bytes(t[F_INPUT]!)})`,
    );
  }
  if (has(m, F_QUEUE)) reasons.push(`queue wait ${ms(r[F_QUEUE]!)} (typical ${ms(t[F_QUEUE]!)})`);
  if (has(m, F_IN_FLIGHT)) {
    const inFlight = r[F_IN_FLIGHT]!.toFixed(0);
    reasons.push(
      `${inFlight} call${inFlight === '1' ? '' : 's'} in flight (typical ${t[F_IN_FLIGHT]!.toFixed(0)})`,
    );
  }
  if (facts.forestAgrees && facts.detector !== 'forest')
    reasons.push('the combination of figures is unusual for this tool (isolation forest)');

  const load = facts.load;
  if (facts.verdictClass === 'overload' && load !== undefined) explainOverload(load, reasons, recs);
  if (facts.detector === 'memory' && facts.memory !== undefined) {
    const mem = facts.memory;
    reasons.push(
      `upstream memory growing ${bytes(mem.bytesPerSec)}/s (now ${bytes(mem.rssBytes)}, never above ${bytes(mem.previousPeakBytes)} before)`,
    );
    recs.push(
      'the upstream process keeps growing → a leak or an unbounded cache: take a heap snapshot of it, or restart it',
    );
  }
  if (facts.detector === 'forest') {
    const rel = facts.relation;
    reasons.push(
      rel === undefined
        ? 'the combination of figures is unusual for this tool while each stays in range (isolation forest)'
        : `${FIGURE[rel.b] ?? rel.b} no longer follows ${FIGURE[rel.a] ?? rel.a} as it did (correlation ${rel.before.toFixed(2)} → ${rel.after.toFixed(2)}); each stays in range (isolation forest)`,
    );
    recs.push(
      'the tool behaves differently in a way no single figure shows → a changed code path, cache or index: compare recent calls with older ones',
    );
  }

  const cpuKnown = Number.isFinite(t[F_CPU] as number);
  if (up(F_LATENCY) && facts.verdictClass !== 'overload' && load?.response.verdict === 'flat') {
    reasons.push('latency does not grow with concurrency: the upstream has room');
  }
  if (up(F_LATENCY) && up(F_INPUT)) {
    recs.push('latency up with larger arguments → the workload changed; the tool may be fine');
  }
  if (up(F_LATENCY) && !up(F_CPU) && (down(F_CPU_RATIO) || !cpuKnown)) {
    recs.push(
      cpuKnown
        ? 'latency up with CPU flat → blocked on I/O or a dependency: check downstream services, locks and timeouts; fewer calls at once would not help'
        : 'latency up (no per-call CPU figures for a tool in another process) → a slower dependency or more work per call: check what the tool calls',
    );
  } else if (up(F_LATENCY) && up(F_CPU)) {
    recs.push(
      'latency up with CPU up → CPU-bound slowdown: profile the tool (a CPU profile may have been captured)',
    );
  } else if (up(F_CPU) && !up(F_LATENCY)) {
    recs.push('more CPU per call at the same latency → extra work or contention in the tool: profile it');
  } else if (down(F_CPU_RATIO) && !has(m, F_LATENCY)) {
    recs.push('the call spends less of its time on CPU → waiting more on I/O or a dependency');
  }
  if (up(F_HEAP))
    recs.push('heap per call trending up → possible leak or unbounded cache: compare heap snapshots');
  if (has(m, F_ERROR)) {
    recs.push('error rate up → read the tool’s recent errors and its upstream health; the breaker may open');
  }
  if (down(F_OUTPUT)) recs.push('results much smaller than usual → possibly empty or truncated results');
  if (up(F_OUTPUT)) recs.push('results much larger than usual → check limits and pagination of the tool');
  return { reasons, recommendations: recs };
}

const FIGURE: Partial<Record<string, string>> = {
  latency: 'latency',
  cpu: 'CPU per call',
  heap: 'heap per call',
  input_bytes: 'argument size',
  output_bytes: 'result size',
};

/** Why an upstream is judged overloaded, and what the tuner and the operator can do. */
function explainOverload(load: LoadState, reasons: string[], recs: string[]): void {
  const r = load.response;
  if (r.verdict === 'queueing')
    reasons.push(
      `latency grows with concurrency (log-log slope ${r.slope.toFixed(2)}): calls wait inside the upstream, which is saturated`,
    );
  if (load.refusedShare >= 0.01)
    reasons.push(
      `${pct(load.refusedShare)} of calls refused by toolscope's pool: demand beyond what it serves`,
    );
  if (load.overloadErrorShare >= 0.01)
    reasons.push(`${pct(load.overloadErrorShare)} of calls timed out or were refused as overloaded upstream`);
  if (load.queueShare >= 0.1)
    reasons.push(`waiting for a pool slot is ${pct(load.queueShare)} of the latency callers see`);
  if (load.abandonedShare >= 0.01)
    reasons.push(`${pct(load.abandonedShare)} of calls abandoned by their callers before an answer`);
  if (load.demandUp)
    reasons.push(
      `demand ${load.demandRatio.toFixed(1)}× its usual level (${load.arrivalRate.toFixed(0)}/s vs ${load.usualRate.toFixed(0)}/s)`,
    );
  recs.push(
    'the upstream serves no more at once: the tuner keeps concurrency at its capacity, so excess calls wait or are refused in toolscope, not inside it; to serve more, add upstream capacity or spread the load',
  );
}
