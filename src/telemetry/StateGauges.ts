import type { Attributes, Meter, ObservableResult } from '@opentelemetry/api';
import { ATTR_GEN_AI_TOOL_NAME } from './semconv.js';
import * as ts from './toolscopeNames.js';

/** A pool as the gauges see it. */
export interface PoolReading {
  id: string;
  service: string;
  limit: number;
  inFlight: number;
  queued: number;
}

/** An upstream as the gauges see it. */
export interface UpstreamReading {
  service: string;
  state: string;
  restarts: number;
}

/** A breaker as the gauges see it (state 0 closed, 1 half-open, 2 open). */
export interface BreakerReading {
  service: string;
  tool: string | undefined;
  scope: 'service' | 'tool';
  state: number;
}

/** An upstream process tree as the gauges see it (OS figures). */
export interface UpstreamProcessReading {
  service: string;
  cpuUtilization: number;
  rssBytes: number;
}

/** Where the gauges read from; each source is optional and read at collection time only. */
export interface StateSources {
  pools?: () => Iterable<PoolReading>;
  upstreams?: () => Iterable<UpstreamReading>;
  breakers?: () => Iterable<BreakerReading>;
  upstreamProcesses?: () => Iterable<UpstreamProcessReading>;
}

const UPSTREAM_STATES = ['initializing', 'ready', 'degraded', 'failed', 'reconnecting', 'stopped'] as const;

/**
 * Observable gauges of toolscope's state: pool limit, in-flight and queue depth;
 * upstream state (one series per state, 1 for the current one), up and restarts;
 * breaker state. Nothing is recorded on the hot path: values are read when
 * metrics are collected (a Prometheus scrape).
 */
export function registerStateGauges(meter: Meter, sources: StateSources): void {
  const observeEach =
    <T>(source: (() => Iterable<T>) | undefined, fn: (result: ObservableResult, item: T) => void) =>
    (result: ObservableResult) => {
      if (!source) return;
      for (const item of source()) fn(result, item);
    };
  const pool = (p: PoolReading): Attributes => ({ [ts.ATTR_TS_POOL]: p.id, [ts.ATTR_TS_SERVICE]: p.service });
  meter
    .createObservableGauge(ts.METRIC_TS_POOL_LIMIT, {
      unit: '{call}',
      description: 'Concurrency limit of a pool.',
    })
    .addCallback(observeEach(sources.pools, (r, p) => r.observe(p.limit, pool(p))));
  meter
    .createObservableGauge(ts.METRIC_TS_POOL_IN_FLIGHT, {
      unit: '{call}',
      description: 'Calls running in a pool.',
    })
    .addCallback(observeEach(sources.pools, (r, p) => r.observe(p.inFlight, pool(p))));
  meter
    .createObservableGauge(ts.METRIC_TS_POOL_QUEUE_DEPTH, {
      unit: '{call}',
      description: 'Calls waiting for a slot in a pool.',
    })
    .addCallback(observeEach(sources.pools, (r, p) => r.observe(p.queued, pool(p))));
  meter
    .createObservableGauge(ts.METRIC_TS_UPSTREAM_STATE, {
      description: 'Upstream lifecycle state: 1 for the current state.',
    })
    .addCallback(
      observeEach(sources.upstreams, (r, u) => {
        for (const state of UPSTREAM_STATES) {
          r.observe(u.state === state ? 1 : 0, {
            [ts.ATTR_TS_SERVICE]: u.service,
            [ts.ATTR_TS_UPSTREAM_STATE]: state,
          });
        }
      }),
    );
  meter
    .createObservableGauge(ts.METRIC_TS_UPSTREAM_UP, {
      description: '1 when the upstream serves calls (ready or degraded).',
    })
    .addCallback(
      observeEach(sources.upstreams, (r, u) =>
        r.observe(u.state === 'ready' || u.state === 'degraded' ? 1 : 0, { [ts.ATTR_TS_SERVICE]: u.service }),
      ),
    );
  meter
    .createObservableCounter(ts.METRIC_TS_UPSTREAM_RESTARTS, {
      unit: '{restart}',
      description: 'Upstream restarts.',
    })
    .addCallback(
      observeEach(sources.upstreams, (r, u) => r.observe(u.restarts, { [ts.ATTR_TS_SERVICE]: u.service })),
    );
  meter
    .createObservableGauge(ts.METRIC_TS_UPSTREAM_CPU, {
      unit: '1',
      description: 'CPU of the upstream process tree, in cores.',
    })
    .addCallback(
      observeEach(sources.upstreamProcesses, (r, p) =>
        r.observe(p.cpuUtilization, { [ts.ATTR_TS_SERVICE]: p.service }),
      ),
    );
  meter
    .createObservableGauge(ts.METRIC_TS_UPSTREAM_RSS, {
      unit: 'By',
      description: 'Resident memory of the upstream process tree.',
    })
    .addCallback(
      observeEach(sources.upstreamProcesses, (r, p) =>
        r.observe(p.rssBytes, { [ts.ATTR_TS_SERVICE]: p.service }),
      ),
    );
  meter
    .createObservableGauge(ts.METRIC_TS_BREAKER_STATE, {
      description: 'Circuit breaker state: 0 closed, 1 half-open, 2 open.',
    })
    .addCallback(
      observeEach(sources.breakers, (r, b) => {
        const attributes: Attributes = {
          [ts.ATTR_TS_SERVICE]: b.service,
          [ts.ATTR_TS_BREAKER_SCOPE]: b.scope,
        };
        if (b.tool) attributes[ATTR_GEN_AI_TOOL_NAME] = b.tool;
        r.observe(b.state, attributes);
      }),
    );
}
