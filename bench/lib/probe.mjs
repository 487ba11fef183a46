// Loaded into a process under study with `node --import bench/lib/probe.mjs …` (bench/where-the-work-goes.mjs
// does that): the first SIGUSR2 starts a measured window, the second ends it and writes a JSON summary
// to $PROBE_OUT. Always: CPU time and GC pauses (count and time, by kind). Then one of ($PROBE_MODE):
//   plain — nothing more (the CPU and GC figures undisturbed by a profiler);
//   cpu   — V8's sampling CPU profiler: self time by function and by where the code comes from;
//   heap  — V8's sampling heap profiler, objects collected since included: bytes allocated by site;
//   async — an async hook counting the async resources created (promises, ticks, …) by type.
// Each mode disturbs what the others measure, so a window uses one.
import { createHook } from 'node:async_hooks';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { constants, PerformanceObserver } from 'node:perf_hooks';

const mode = process.env.PROBE_MODE ?? 'plain';
const out = process.env.PROBE_OUT;
const GC_KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
let window;
const gc = new PerformanceObserver((list) => {
  if (!window) return;
  for (const entry of list.getEntries()) {
    const kind = GC_KINDS[entry.detail?.kind ?? entry.kind] ?? 'other';
    window.gc[kind] ??= { count: 0, ms: 0 };
    window.gc[kind].count++;
    window.gc[kind].ms += entry.duration;
  }
});
gc.observe({ entryTypes: ['gc'] });

const session = new Session();
session.connect();
const post = (method, params) =>
  new Promise((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
  );

/** Where a function's code comes from, by its script URL. */
function origin(url, name) {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(program)' || name === '(idle)' || name === '(root)') return name;
  if (url.includes('@opentelemetry')) return 'OpenTelemetry';
  if (url.includes('@modelcontextprotocol')) return 'MCP SDK';
  if (url.includes('/zod/') || url.includes('/ajv')) return 'zod / ajv';
  if (url.includes('/node_modules/')) return 'other packages';
  if (url.includes('/dist/') || url.includes('/src/')) return 'toolscope';
  if (url.includes('/bench/')) return 'bench code';
  if (url === '' || url.startsWith('node:')) return 'Node internals / V8 builtins';
  return 'other';
}
const where = (frame) =>
  `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(node_modules|dist|src|bench)\//, '$1/')}:${frame.lineNumber + 1}`;

async function start() {
  window = { cpu: process.cpuUsage(), gc: {}, started: performance.now() };
  if (mode === 'cpu') {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 200 });
    await post('Profiler.start');
  } else if (mode === 'heap') {
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', {
      samplingInterval: 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  } else if (mode === 'async') {
    window.async = {};
    window.hook = createHook({
      init(_id, type) {
        window.async[type] = (window.async[type] ?? 0) + 1;
      },
    }).enable();
  }
}

async function stop() {
  const cpu = process.cpuUsage(window.cpu);
  const result = {
    mode,
    wallMs: performance.now() - window.started,
    cpuMicros: cpu.user + cpu.system,
    gc: window.gc,
  };
  if (mode === 'cpu') {
    const { profile } = await post('Profiler.stop');
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const counts = new Map();
    for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
    const total = profile.samples.length;
    const byFunction = new Map();
    const byOrigin = new Map();
    for (const [id, n] of counts) {
      const frame = byId.get(id).callFrame;
      const key = where(frame);
      byFunction.set(key, (byFunction.get(key) ?? 0) + n);
      const from = origin(frame.url, frame.functionName);
      byOrigin.set(from, (byOrigin.get(from) ?? 0) + n);
    }
    const share = (map) =>
      [...map].sort((a, b) => b[1] - a[1]).map(([name, n]) => ({ name, share: n / total }));
    result.samples = total;
    result.byOrigin = share(byOrigin);
    result.topFunctions = share(byFunction).slice(0, 30);
  } else if (mode === 'heap') {
    const { profile } = await post('HeapProfiler.stopSampling');
    const bySite = new Map();
    const byOrigin = new Map();
    let total = 0;
    const walk = (node) => {
      const bytes = node.selfSize;
      if (bytes > 0) {
        total += bytes;
        const key = where(node.callFrame);
        bySite.set(key, (bySite.get(key) ?? 0) + bytes);
        const from = origin(node.callFrame.url, node.callFrame.functionName);
        byOrigin.set(from, (byOrigin.get(from) ?? 0) + bytes);
      }
      for (const child of node.children) walk(child);
    };
    walk(profile.head);
    const list = (map) => [...map].sort((a, b) => b[1] - a[1]).map(([name, bytes]) => ({ name, bytes }));
    result.allocatedBytes = total;
    result.byOrigin = list(byOrigin);
    result.topSites = list(bySite).slice(0, 30);
  } else if (mode === 'async') {
    window.hook.disable();
    result.asyncResources = window.async;
  }
  window = undefined;
  writeFileSync(out, JSON.stringify(result));
}

let busy = Promise.resolve();
process.on('SIGUSR2', () => {
  busy = busy.then(() => (window ? stop() : start()));
});
