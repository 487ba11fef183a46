import type { LimitController, LimitSample, SampleOutcome } from '../LimitController.js';
import { EventQueue } from './EventQueue.js';
import { SeededRandom } from './SeededRandom.js';
import type { NoiseBurst, SimScenario } from './SimScenario.js';

/** What happened to one simulated call. */
export const CallFate = {
  /** Answered before its deadline (the only outcome that counts as goodput). */
  good: 1,
  /** Refused by the pool: queue full on arrival. */
  shedQueueFull: 2,
  /** Refused by the pool: waited `maxQueueWaitMs` without getting a slot. */
  shedQueueWait: 3,
  /** Admitted, then ran past its deadline. */
  timeout: 4,
} as const;

/** The record of one run; per-call arrays are indexed by arrival order. */
export interface SimResult {
  readonly scenario: SimScenario;
  /** Arrival time of each call. */
  readonly arrivalMs: Float64Array;
  /** {@link CallFate} of each call (0 if still pending at the end). */
  readonly fate: Uint8Array;
  /** Caller-visible latency (queue wait + execution) of each call, at its end. */
  readonly latencyMs: Float64Array;
  /** Execution latency (admission to answer) of each good call, else 0. */
  readonly execMs: Float64Array;
  readonly calls: number;
  /** Limit in force at each trace point (every `traceMs`). */
  readonly traceMs: Float64Array;
  readonly traceLimit: Float64Array;
  readonly bursts: readonly NoiseBurst[];
}

const ARRIVAL = 0;
const SERVICE_DONE = 1;
const DEADLINE = 2;
const TICK = 3;
const PHASE = 4;
const TRACE = 5;
const KINDS = 8;

// Per-call states (0: waiting in the pool queue).
const IN_BACKEND_QUEUE = 1;
const IN_SERVICE = 2;
const DONE = 3;
const CANCELLED = 4;

/** Schedules the noise bursts of a run from its own random stream. */
export function scheduleBursts(scenario: SimScenario): NoiseBurst[] {
  const noise = scenario.noise;
  if (noise === undefined) return [];
  const rnd = new SeededRandom(SeededRandom.hash(scenario.seed) ^ 0x5eed0001);
  const bursts: NoiseBurst[] = [];
  let t = rnd.exponential(noise.meanIntervalMs);
  while (t < scenario.durationMs) {
    const duration = rnd.uniform(noise.minDurationMs, noise.maxDurationMs);
    bursts.push({
      startMs: t,
      endMs: t + duration,
      fraction: rnd.uniform(noise.minFraction, noise.maxFraction),
      factor: rnd.uniform(noise.minFactor, noise.maxFactor),
    });
    t += duration + rnd.exponential(noise.meanIntervalMs);
  }
  return bursts;
}

/**
 * Runs one scenario against one limit controller in simulated time and records every call.
 * Arrivals, service times and noise draws come from streams seeded by the scenario only, so
 * every controller (and every static limit of an oracle sweep) sees the same calls.
 */
export function simulatePool(scenario: SimScenario, controller: LimitController): SimResult {
  const arrivalsRnd = new SeededRandom(SeededRandom.hash(scenario.seed) ^ 0xa441a1);
  const serviceRnd = new SeededRandom(SeededRandom.hash(scenario.seed) ^ 0x5e4f1ce);
  const bursts = scheduleBursts(scenario);
  const capacity = Math.ceil(scenario.arrivalRatePerSec * (scenario.durationMs / 1000) * 1.2 + 1024);
  let arrivalMs: Float64Array = new Float64Array(capacity);
  let baseService: Float64Array = new Float64Array(capacity);
  let dispatchMs: Float64Array = new Float64Array(capacity);
  let inFlightAtStart: Int32Array = new Int32Array(capacity);
  let state: Uint8Array = new Uint8Array(capacity);
  let fate: Uint8Array = new Uint8Array(capacity);
  let latencyMs: Float64Array = new Float64Array(capacity);
  let execMs: Float64Array = new Float64Array(capacity);
  let calls = 0;

  const grow = (): void => {
    const n = arrivalMs.length * 2;
    const f64 = (a: Float64Array): Float64Array => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    arrivalMs = f64(arrivalMs);
    baseService = f64(baseService);
    dispatchMs = f64(dispatchMs);
    latencyMs = f64(latencyMs);
    execMs = f64(execMs);
    const i32 = new Int32Array(n);
    i32.set(inFlightAtStart);
    inFlightAtStart = i32;
    const u8a = new Uint8Array(n);
    u8a.set(state);
    state = u8a;
    const u8b = new Uint8Array(n);
    u8b.set(fate);
    fate = u8b;
  };

  const events = new EventQueue(4096);
  // Pool queue: a ring of call ids, never longer than maxQueue.
  const poolQueue = new Int32Array(Math.max(1, scenario.maxQueue));
  let pqHead = 0;
  let pqSize = 0;
  // Backend queue: FIFO of call ids (cancelled ones are skipped when dequeued).
  const backendQueue: number[] = [];
  let bqHead = 0;

  let limit = Math.max(1, Math.floor(controller.limit));
  let inFlight = 0;
  let busy = 0;
  let workers = scenario.phases[0]?.workers ?? 1;
  let serviceScale = scenario.phases[0]?.serviceScale ?? 1;
  let rateScale = scenario.phases[0]?.rateScale ?? 1;
  let burstIndex = 0;
  const traceTimes: number[] = [];
  const traceLimits: number[] = [];

  const feed = (
    time: number,
    latency: number,
    queueWait: number,
    inFlightAt: number,
    outcome: SampleOutcome,
  ): void => {
    const sample: LimitSample = {
      time,
      latencyMs: latency,
      queueWaitMs: queueWait,
      inFlight: inFlightAt,
      outcome,
    };
    applyLimit(controller.onSample(sample), time);
  };

  const applyLimit = (next: number, now: number): void => {
    const l = Math.max(1, Math.floor(next));
    const grew = l > limit;
    limit = l;
    if (grew) dispatchFromQueue(now);
  };

  const noiseFactor = (now: number, u: number): number => {
    while (burstIndex < bursts.length && bursts[burstIndex]!.endMs <= now) burstIndex++;
    const b = bursts[burstIndex];
    if (b !== undefined && b.startMs <= now && u < b.fraction) return b.factor;
    return 1;
  };

  const startService = (id: number, now: number): void => {
    busy++;
    state[id] = IN_SERVICE;
    const service = baseService[id]! * serviceScale;
    events.push(now + service, id * KINDS + SERVICE_DONE);
  };

  const startBackendWork = (now: number): void => {
    while (busy < workers && bqHead < backendQueue.length) {
      const id = backendQueue[bqHead++]!;
      if (state[id] === CANCELLED) continue;
      startService(id, now);
    }
    if (bqHead > 4096 && bqHead * 2 > backendQueue.length) {
      backendQueue.splice(0, bqHead);
      bqHead = 0;
    }
  };

  const dispatch = (id: number, now: number): void => {
    inFlightAtStart[id] = inFlight;
    inFlight++;
    dispatchMs[id] = now;
    events.push(arrivalMs[id]! + scenario.callTimeoutMs, id * KINDS + DEADLINE);
    if (busy < workers) startService(id, now);
    else {
      state[id] = IN_BACKEND_QUEUE;
      backendQueue.push(id);
    }
  };

  const shedForWait = (id: number): void => {
    const at = arrivalMs[id]! + scenario.maxQueueWaitMs;
    state[id] = DONE;
    fate[id] = CallFate.shedQueueWait;
    latencyMs[id] = scenario.maxQueueWaitMs;
    feed(at, 0, scenario.maxQueueWaitMs, inFlight, 'rejected');
  };

  // FIFO: the calls that waited too long are always at the head.
  const purgeExpired = (now: number): void => {
    while (pqSize > 0) {
      const id = poolQueue[pqHead]!;
      if (now - arrivalMs[id]! < scenario.maxQueueWaitMs) break;
      pqHead = (pqHead + 1) % poolQueue.length;
      pqSize--;
      shedForWait(id);
    }
  };

  function dispatchFromQueue(now: number): void {
    purgeExpired(now);
    while (inFlight < limit && pqSize > 0) {
      const id = poolQueue[pqHead]!;
      pqHead = (pqHead + 1) % poolQueue.length;
      pqSize--;
      dispatch(id, now);
    }
  }

  const onArrival = (id: number, now: number): void => {
    const next = now + arrivalsRnd.exponential(1000 / (scenario.arrivalRatePerSec * rateScale));
    if (next < scenario.durationMs) {
      if (calls === arrivalMs.length) grow();
      const nid = calls++;
      arrivalMs[nid] = next;
      const work = serviceRnd.logNormal(scenario.serviceMeanMs, scenario.serviceCv);
      baseService[nid] = work * noiseFactor(next, serviceRnd.next());
      events.push(next, nid * KINDS + ARRIVAL);
    }
    purgeExpired(now);
    if (inFlight < limit && pqSize === 0) dispatch(id, now);
    else if (pqSize < scenario.maxQueue) {
      poolQueue[(pqHead + pqSize) % poolQueue.length] = id;
      pqSize++;
    } else {
      state[id] = DONE;
      fate[id] = CallFate.shedQueueFull;
      latencyMs[id] = 0;
      feed(now, 0, 0, inFlight, 'rejected');
    }
  };

  const onServiceDone = (id: number, now: number): void => {
    busy--;
    if (state[id] === IN_SERVICE) {
      state[id] = DONE;
      fate[id] = CallFate.good;
      inFlight--;
      const wait = dispatchMs[id]! - arrivalMs[id]!;
      latencyMs[id] = now - arrivalMs[id]!;
      execMs[id] = now - dispatchMs[id]!;
      startBackendWork(now);
      feed(now, now - dispatchMs[id]!, wait, inFlightAtStart[id]!, 'success');
      dispatchFromQueue(now);
    } else {
      // The caller gave up earlier; the worker finished wasted work.
      startBackendWork(now);
    }
  };

  const onDeadline = (id: number, now: number): void => {
    const s = state[id];
    if (s !== IN_SERVICE && s !== IN_BACKEND_QUEUE) return;
    // Cancellation reaches the backend: queued work is dropped, running work is not.
    state[id] = s === IN_BACKEND_QUEUE ? CANCELLED : DONE;
    fate[id] = CallFate.timeout;
    inFlight--;
    latencyMs[id] = now - arrivalMs[id]!;
    feed(now, now - dispatchMs[id]!, dispatchMs[id]! - arrivalMs[id]!, inFlightAtStart[id]!, 'timeout');
    dispatchFromQueue(now);
  };

  // Seed the event list.
  if (scenario.arrivalRatePerSec > 0) {
    const first = arrivalsRnd.exponential(1000 / scenario.arrivalRatePerSec);
    calls = 1;
    arrivalMs[0] = first;
    const work = serviceRnd.logNormal(scenario.serviceMeanMs, scenario.serviceCv);
    baseService[0] = work * noiseFactor(first, serviceRnd.next());
    events.push(first, ARRIVAL);
  }
  for (let p = 1; p < scenario.phases.length; p++)
    events.push(scenario.phases[p]!.startMs, p * KINDS + PHASE);
  events.push(scenario.tickMs, TICK);
  events.push(0, TRACE);

  while (events.size > 0) {
    const now = events.peekTime();
    if (now > scenario.durationMs) break;
    const payload = events.peekPayload();
    events.pop();
    const kind = payload % KINDS;
    const id = (payload - kind) / KINDS;
    switch (kind) {
      case ARRIVAL:
        onArrival(id, now);
        break;
      case SERVICE_DONE:
        onServiceDone(id, now);
        break;
      case DEADLINE:
        onDeadline(id, now);
        break;
      case TICK:
        purgeExpired(now);
        applyLimit(controller.onTick(now), now);
        events.push(now + scenario.tickMs, TICK);
        break;
      case PHASE: {
        const phase = scenario.phases[id]!;
        workers = phase.workers;
        serviceScale = phase.serviceScale;
        rateScale = phase.rateScale ?? 1;
        startBackendWork(now);
        break;
      }
      case TRACE:
        traceTimes.push(now);
        traceLimits.push(limit);
        events.push(now + scenario.traceMs, TRACE);
        break;
    }
  }

  return {
    scenario,
    arrivalMs: arrivalMs.subarray(0, calls),
    fate: fate.subarray(0, calls),
    latencyMs: latencyMs.subarray(0, calls),
    execMs: execMs.subarray(0, calls),
    calls,
    traceMs: Float64Array.from(traceTimes),
    traceLimit: Float64Array.from(traceLimits),
    bursts,
  };
}

/** A controller that never moves: the building block of the oracle sweep. */
export function staticLimit(limit: number): LimitController {
  const l = Math.max(1, Math.floor(limit));
  return { limit: l, onSample: () => l, onTick: () => l };
}
