import { type LimitController, SeededRandom } from '../../src/tuning/index.js';

/** A closed loop: `callers` agents, each sending its next call as soon as the last one returns. */
export interface ClosedLoop {
  readonly callers: number;
  /** Upstream workers (FIFO queue inside the upstream beyond them), from time 0 and from `changeAtMs`. */
  readonly workers: number;
  readonly workersAfter?: number;
  readonly changeAtMs?: number;
  readonly serviceMs: number;
  readonly durationMs: number;
  readonly seed?: number;
}

/**
 * Runs `controller` as toolscope's pool in front of a worker-limited upstream, driven by a closed
 * loop (the e2e tuning test's shape: a fixed number of agents, no arrival rate of its own). Returns
 * the applied limit every 100 ms.
 */
export function runClosedLoop(
  loop: ClosedLoop,
  controller: LimitController,
): { ms: number[]; limit: number[] } {
  const random = new SeededRandom(loop.seed ?? 1);
  const events: { t: number; run: () => void }[] = [];
  const at = (t: number, run: () => void) => {
    let i = events.length;
    while (i > 0 && events[i - 1]!.t > t) i--;
    events.splice(i, 0, { t, run });
  };
  let now = 0;
  let workers = loop.workers;
  let busy = 0;
  let inPool = 0;
  const upstreamQueue: (() => void)[] = [];
  const poolQueue: { sentAt: number; caller: () => void }[] = [];
  const work = (done: () => void) => {
    busy++;
    at(now + loop.serviceMs * (0.8 + 0.4 * random.next()), () => {
      busy--;
      while (busy < workers && upstreamQueue.length > 0) work(upstreamQueue.shift()!);
      done();
    });
  };
  const admit = (call: { sentAt: number; caller: () => void }) => {
    const inFlight = inPool++;
    const admittedAt = now;
    const done = () => {
      inPool--;
      controller.onSample({
        time: now,
        latencyMs: now - admittedAt,
        queueWaitMs: admittedAt - call.sentAt,
        inFlight,
        outcome: 'success',
      });
      pump();
      call.caller();
    };
    if (busy < workers) work(done);
    else upstreamQueue.push(done);
  };
  const pump = () => {
    while (poolQueue.length > 0 && inPool < controller.limit) admit(poolQueue.shift()!);
  };
  for (let i = 0; i < loop.callers; i++) {
    const caller = () => {
      poolQueue.push({ sentAt: now, caller });
      pump();
    };
    at(0, caller);
  }
  const trace = { ms: [] as number[], limit: [] as number[] };
  let tick = 100;
  while (events.length > 0 && now < loop.durationMs) {
    const event = events.shift()!;
    now = event.t;
    while (tick <= now) {
      controller.onTick(tick);
      trace.ms.push(tick);
      trace.limit.push(controller.limit);
      tick += 100;
      pump();
    }
    if (loop.changeAtMs !== undefined && now >= loop.changeAtMs && loop.workersAfter !== undefined) {
      workers = loop.workersAfter;
      while (busy < workers && upstreamQueue.length > 0) work(upstreamQueue.shift()!);
    }
    event.run();
  }
  return trace;
}
