#!/usr/bin/env node
// Footprint at rest: the resident memory (RSS) of an idle `toolscope gateway` in front of three stdio
// servers (the published everything and memory servers and the bench's echo server), next to an idle
// `toolscope proxy`, the semconv forwarder (the OpenTelemetry SDK with a span and metric pipeline, in
// front of one server) and a bare Node process that only keeps a timer. Each is started, connected
// by an SDK client that lists its tools and makes one call, then left idle; RSS is read from
// /proc/<pid>/status. The heap over a million calls is the soak benchmark's.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR, fmt, markdownTable, median, progress, ROOT, report, spread } from './lib/stats.mjs';
import { connectStdio } from './lib/stdioClient.mjs';

const ROUNDS = Number(process.env.BENCH_FOOTPRINT_ROUNDS ?? 3);
const IDLE_MS = Number(process.env.BENCH_FOOTPRINT_IDLE_MS ?? 10_000);
const node = process.execPath;
const ECHO = join(BENCH_DIR, 'fixtures/echo-server.mjs');
const SEMCONV_FORWARDER = join(BENCH_DIR, 'fixtures/semconv-forwarder.mjs');
const CLI = join(ROOT, 'dist/cli.js');
const EVERYTHING = join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const MEMORY = join(ROOT, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js');
const { LinuxProcReader } = await import(join(ROOT, 'dist/profiling/index.js'));
const procs = new LinuxProcReader();

const dir = mkdtempSync(join(tmpdir(), 'toolscope-footprint-'));
const gatewayConfig = join(dir, 'toolscope.json');
writeFileSync(
  gatewayConfig,
  JSON.stringify({
    mcpServers: {
      everything: { command: node, args: [EVERYTHING, 'stdio'] },
      memory: { command: node, args: [MEMORY], env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') } },
      echo: { command: node, args: [ECHO] },
    },
  }),
);
const env = { ...process.env, TOOLSCOPE_LOG_LEVEL: 'error', OTEL_EXPORTER_PROMETHEUS_PORT: '0' };

const scenarios = [
  {
    name: 'toolscope gateway, 3 stdio servers',
    args: [CLI, 'gateway', gatewayConfig],
    env,
    tool: 'echo_echo',
  },
  { name: 'toolscope proxy, 1 stdio server', args: [CLI, 'proxy', '--', node, ECHO], env, tool: 'echo' },
  {
    name: 'reference: semconv forwarder, 1 stdio server',
    args: [SEMCONV_FORWARDER, node, ECHO],
    tool: 'echo',
  },
];

/** Resident set of one process, bytes (VmRSS); 0 once it has gone. */
function rssOf(pid) {
  try {
    const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Number(kib ?? 0) * 1024;
  } catch {
    return 0;
  }
}

async function start(scenario) {
  const session = await connectStdio({ command: node, args: scenario.args, env: scenario.env, cwd: dir });
  await session.client.listTools();
  await session.client.callTool({ name: scenario.tool, arguments: { message: 'hello' } });
  return session;
}

const results = new Map(
  [...scenarios, { name: 'bare Node process (a timer, nothing else)' }].map((s) => [s.name, []]),
);
for (let round = 0; round < ROUNDS; round++) {
  // All of a round's processes start together and idle for the same time: RSS does not depend on speed.
  // The timer process is killed however the round ends (one was once left behind).
  const bare = spawn(node, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    const sessions = await Promise.all(scenarios.map(start));
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    results
      .get('bare Node process (a timer, nothing else)')
      .push({ own: rssOf(bare.pid), servers: 0, count: 0 });
    sessions.forEach(({ pid }, i) => {
      const servers = [...procs.tree([pid])].filter((member) => member !== pid);
      results.get(scenarios[i].name).push({
        own: rssOf(pid),
        servers: servers.reduce((sum, member) => sum + rssOf(member), 0),
        count: servers.length,
      });
    });
    await Promise.all(sessions.map(({ client }) => client.close()));
  } finally {
    bare.kill('SIGKILL');
  }
  progress(`round ${round + 1}/${ROUNDS} done`);
}

const MiB = 1024 * 1024;
const bareRss = median(results.get('bare Node process (a timer, nothing else)').map((r) => r.own));
const rows = [...results].map(([name, runs]) => {
  const own = median(runs.map((r) => r.own));
  return [
    name,
    fmt(own / MiB, 1),
    spread(
      runs.map((r) => r.own / MiB),
      1,
    ),
    fmt((own - bareRss) / MiB, 1),
    runs[0].count === 0 ? '–' : `${fmt(median(runs.map((r) => r.servers)) / MiB, 1)} (${runs[0].count})`,
  ];
});
const gateway = results.get(scenarios[0].name);
const gatewayRss = median(gateway.map((r) => r.own));
const targets = [
  {
    target: 'footprint (reported): RSS of an idle gateway with three stdio servers, MiB',
    value: fmt(gatewayRss / MiB, 1),
    spread: spread(
      gateway.map((r) => r.own / MiB),
      1,
    ),
  },
];

report(
  'footprint',
  `## Footprint at rest: an idle gateway

RSS (resident memory, \`VmRSS\`) of each process after it started, answered \`tools/list\` and one call, and then
sat idle for ${fmt(IDLE_MS / 1000, 0)} s; medians of ${ROUNDS} starts, all on ${process.version}. The gateway fronts three stdio servers:
\`@modelcontextprotocol/server-everything\`, \`@modelcontextprotocol/server-memory\` and the bench's echo server. "Above bare
Node" subtracts the RSS of a Node process that only keeps a timer (what any Node program costs at rest). The servers'
column is the RSS of every process under the hop, which toolscope does not own. The heap over a million calls is in the
soak's section.

${markdownTable(['process', 'RSS MiB', 'over the starts (min–max)', 'above bare Node MiB', 'its servers MiB (processes)'], rows)}
`,
  targets,
);
