import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { CLI, WAIT_SLACK } from '../e2e/helpers.js';
import { OtlpReceiver } from '../e2e/otlpReceiver.js';
import { freePort, PrometheusServer } from '../e2e/prometheusServer.js';
import { needs } from '../setup/needs.js';
import {
  alertingRules,
  dashboardQueries,
  dashboards,
  exemplarQueries,
  filesIn,
  interpolate,
  labelValuesQuery,
  PATHS,
  prometheusFeatureFlags,
  type RuleFile,
  readText,
  recordingRules,
} from './deployFiles.js';

/*
 * Acceptance of the reference deployment against a real Prometheus (Debian's
 * package): the shipped collector/prometheus.yml and rules, adapted to this test's
 * ports and time scale, scrape `toolscope demo`; then every panel query and
 * annotation of every dashboard, every template variable and every recording rule
 * must return data, every alert rule must load, and the alerts the demo should fire
 * do fire.
 *
 * As in the compose file, the demo exports its traces (here to an OTLP/HTTP receiver
 * standing in for the Collector) and Prometheus runs with the compose file's feature
 * flags, so the latency panels' exemplars can be checked too.
 *
 * The adaptations, and only these: scrape every 2 s and evaluation every 1 s instead of 15 s;
 * the toolscope job's target is the demo's Prometheus port; the Collector jobs are
 * dropped (no Collector runs here); rule files sit next to the config; every alert's
 * `for` is divided by 60 (5m → 5s), so a 40-second demo can hold a condition for as
 * long, relative to its scale, as production would. promtool's unit tests in
 * collector/tests check the real `for` durations and the 1-day baseline.
 */

const DEMO_SECONDS = 40;
/** The demo's scripted incident: storage_fetch_record is ×6 slower from 45 % to 70 % of the run. */
const INCIDENT = { from: 0.45, to: 0.7 };

function adaptedPrometheusConfig(target: string): string {
  const config = parseYaml(readText(PATHS.prometheus)) as {
    global: Record<string, string>;
    rule_files: string[];
    scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
  };
  const toolscope = config.scrape_configs.find((job) => job.job_name === 'toolscope');
  if (!toolscope) throw new Error('collector/prometheus.yml has no `toolscope` scrape job');
  expect(toolscope.static_configs.flatMap((c) => c.targets)).toHaveLength(1);
  toolscope.static_configs = [{ targets: [target] }];
  // Scrapes every 2 s with a 2 s timeout: the demo answers /metrics from the process that also runs
  // its CPU-heavy tool, and on a busy machine a 1 s timeout misses half the scrapes.
  config.global = {
    ...config.global,
    scrape_interval: '2s',
    scrape_timeout: '2s',
    evaluation_interval: '1s',
  };
  config.rule_files = filesIn(PATHS.rulesDir, '.yml').map((path) => basename(path));
  config.scrape_configs = [toolscope];
  return stringifyYaml(config);
}

/** `5m` → `5s`: the rules' `for`, at the test's time scale (1 s evaluations instead of 15 s). */
function scaledFor(duration: string): string {
  const match = /^(\d+)([smh])$/.exec(duration);
  if (!match) throw new Error(`unexpected for: ${duration}`);
  const seconds = Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as 's' | 'm' | 'h'];
  return `${Math.max(1, Math.round(seconds / 60))}s`;
}

function ruleFilesForTest(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const path of filesIn(PATHS.rulesDir, '.yml')) {
    const file = parseYaml(readText(path)) as RuleFile;
    for (const group of file.groups)
      for (const rule of group.rules) if (rule.for) rule.for = scaledFor(rule.for);
    files[basename(path)] = stringifyYaml(file);
  }
  return files;
}

interface RangeSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

let prometheus: PrometheusServer;
const receiver = new OtlpReceiver();
let demo: ChildProcess | undefined;
let demoOutput = '';
let runStart = 0;
let runEnd = 0;
/** When the scripted incident began, by the demo's own clock (it prints it), epoch seconds. */
let incidentStart = 0;
/** When the demo exited, epoch seconds. */
let demoEnd = 0;

/** Epoch ms of the local time of day `HH`, `MM`, `SS.s` (regex groups 1–3) nearest to `nearMs`. */
function localTimeNear(groups: RegExpExecArray, nearMs: number): number {
  const at = new Date(nearMs);
  at.setHours(Number(groups[1]), Number(groups[2]), 0, 0);
  const ms = at.getTime() + Number(groups[3]) * 1000;
  const day = 86_400_000;
  return ms - nearMs > day / 2 ? ms - day : nearMs - ms > day / 2 ? ms + day : ms;
}

async function rangeQuery(promql: string, step = 1): Promise<RangeSeries[]> {
  const params = new URLSearchParams({
    query: promql,
    start: String(runStart),
    end: String(runEnd),
    step: String(step),
  });
  const response = await fetch(`${prometheus.url}/api/v1/query_range`, { method: 'POST', body: params });
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data?: { result: RangeSeries[] };
  };
  if (body.status !== 'success') throw new Error(`${body.error} in: ${promql}`);
  return body.data?.result ?? [];
}

/** Grafana's variables, set as a user looking at the incident would set them. */
function variables(dashboardUid: string): Record<string, string> {
  return {
    datasource: 'prometheus',
    // The overview's "All" (allValue .*); the drill-down on the tool the incident hits.
    service: dashboardUid === 'toolscope-overview' ? '.*' : 'storage',
    tool: 'fetch_record',
    jaeger_url: 'http://localhost:16686',
    jaeger_service: 'toolscope',
    __rate_interval: '1m',
    __interval: '15s',
    __range: `${Math.ceil(runEnd - runStart)}s`,
  };
}

describe('reference deployment: shipped Prometheus config, rules and dashboards against `toolscope demo`', () => {
  const prometheusPackage = needs('prometheus');
  beforeAll(
    async () => {
      if (!prometheusPackage.installed) return;
      if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
      const metricsPort = await freePort();
      prometheus = new PrometheusServer(
        adaptedPrometheusConfig(`127.0.0.1:${metricsPort}`),
        ruleFilesForTest(),
        prometheusFeatureFlags(),
      );
      await prometheus.start();
      await receiver.start();
      runStart = Date.now() / 1000;
      demo = spawn(process.execPath, [CLI, 'demo', '--duration', String(DEMO_SECONDS), '--port', '0'], {
        env: {
          ...process.env,
          OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          TOOLSCOPE_LOG_LEVEL: 'error',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      demo.stdout?.on('data', (chunk: Buffer) => {
        demoOutput += chunk.toString();
        // The demo prints its incident's window by its own clock (this machine's): the time this
        // process reads the line can be seconds late on a busy machine.
        const window = /scripted incident:.*\((\d\d):(\d\d):(\d\d\.\d)–/.exec(demoOutput);
        if (incidentStart === 0 && window) incidentStart = localTimeNear(window, Date.now()) / 1000;
      });
      demo.stderr?.on('data', (chunk: Buffer) => {
        demoOutput = (demoOutput + chunk.toString()).slice(-20_000);
      });
      const code = await new Promise<number | null>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`demo did not finish: ${demoOutput}`)),
          // A bound for a hang: a busy machine takes far longer than the workload's 40 s to finish.
          (DEMO_SECONDS + 25) * 1000 * WAIT_SLACK,
        );
        demo?.once('exit', (exitCode) => {
          clearTimeout(timer);
          resolve(exitCode);
        });
      });
      demoEnd = Date.now() / 1000;
      if (code !== 0) throw new Error(`demo exited with ${code}: ${demoOutput}`);
      // One more evaluation round after the last scrape.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      runEnd = Date.now() / 1000;
    },
    (DEMO_SECONDS + 45) * 1000 * WAIT_SLACK,
  );

  afterAll(async () => {
    if (demo && demo.exitCode === null) demo.kill('SIGTERM');
    await prometheus?.stop();
    await receiver.stop();
  });

  it('scraped the demo through the shipped toolscope job', async () => {
    const up = await rangeQuery('max_over_time(up{job="toolscope"}[1m])');
    expect(up.map((s) => Math.max(...s.values.map(([, v]) => Number(v))))).toEqual([1]);
    // Prometheus saw the calls the demo says it made (how many a busy machine manages in 40 s varies).
    const sent = Number(/(\d+) calls in \d+ s\./.exec(demoOutput)?.[1]);
    expect(sent, demoOutput).toBeGreaterThan(0);
    const calls = await rangeQuery('sum(toolscope_call_duration_seconds_count)');
    expect(Number(calls[0]?.values.at(-1)?.[1])).toBeGreaterThan(sent * 0.8);
  });

  it('every panel query and annotation of every dashboard returns data', async () => {
    const empty: string[] = [];
    let checked = 0;
    // Tuning decisions are events: the tuner rightly holds the demo's slowed tool (issue 16), so its
    // drill-down panel may be empty; it must show whatever decisions the run made on any pool.
    const anyDecision = (await rangeQuery('sum(toolscope_tuning_decisions_total)')).length > 0;
    for (const dashboard of dashboards().values()) {
      for (const query of dashboardQueries(dashboard)) {
        const result = await rangeQuery(interpolate(query.expr, variables(dashboard.uid)));
        checked++;
        if (result.some((series) => series.values.length > 0)) continue;
        if (query.expr.includes('toolscope_tuning_decisions_total')) {
          const everyPool = { ...variables(dashboard.uid), service: '.*', tool: '.*' };
          const all = await rangeQuery(interpolate(query.expr.replaceAll(':regex}', '}'), everyPool));
          if (all.some((series) => series.values.length > 0) === anyDecision) continue;
        }
        empty.push(query.where);
      }
    }
    expect(checked).toBeGreaterThan(30);
    expect(empty, 'queries without data').toEqual([]);
  });

  it('every latency panel that shows exemplars gets them, and each names a trace the demo exported', async () => {
    const exported = new Set(receiver.spans.map((span) => span.traceId));
    const without: string[] = [];
    let exemplars = 0;
    for (const dashboard of dashboards().values()) {
      for (const query of exemplarQueries(dashboard)) {
        const params = new URLSearchParams({
          query: interpolate(query.expr, variables(dashboard.uid)),
          start: String(runStart),
          end: String(runEnd),
        });
        const response = await fetch(`${prometheus.url}/api/v1/query_exemplars?${params}`);
        const body = (await response.json()) as {
          status: string;
          error?: string;
          data: Array<{ exemplars: Array<{ labels: Record<string, string> }> }>;
        };
        if (body.status !== 'success') throw new Error(`${body.error} in: ${query.expr}`);
        const found = body.data.flatMap((series) => series.exemplars);
        if (found.length === 0) without.push(query.where);
        for (const exemplar of found) expect(exported.has(exemplar.labels.trace_id as string)).toBe(true);
        exemplars += found.length;
      }
    }
    expect(without, 'exemplar queries without exemplars').toEqual([]);
    expect(exemplars).toBeGreaterThan(0);
  });

  it('every template variable lists the demo’s services and tools', async () => {
    for (const dashboard of dashboards().values()) {
      for (const variable of dashboard.templating.list) {
        if (variable.type !== 'query') continue;
        const { selector, label } = labelValuesQuery(variable.definition as string);
        const params = new URLSearchParams({
          'match[]': interpolate(selector, variables(dashboard.uid)),
          start: String(runStart),
          end: String(runEnd),
        });
        const response = await fetch(`${prometheus.url}/api/v1/label/${label}/values?${params}`);
        const values = ((await response.json()) as { data: string[] }).data;
        const expected =
          variable.name === 'tool' ? ['fetch_record'] : ['compute', 'lookup', 'orders', 'storage'];
        expect(values, `${dashboard.uid} $${variable.name}`).toEqual(expect.arrayContaining(expected));
      }
    }
  });

  it('every recording rule returns data', async () => {
    const empty: string[] = [];
    for (const rule of recordingRules()) {
      const matchers = Object.entries(rule.labels)
        .map(([key, value]) => `${key}="${value}"`)
        .join(',');
      const selector = `${rule.record}{${matchers}}`;
      const result = await rangeQuery(selector);
      if (!result.some((series) => series.values.some(([, v]) => Number.isFinite(Number(v)))))
        empty.push(selector);
    }
    expect(recordingRules().length).toBeGreaterThan(10);
    expect(empty, 'recording rules without data').toEqual([]);
  });

  it('every alert rule is loaded and evaluates without error', async () => {
    const response = await fetch(`${prometheus.url}/api/v1/rules`);
    const body = (await response.json()) as {
      data: {
        groups: Array<{ rules: Array<{ name: string; type: string; health: string; lastError?: string }> }>;
      };
    };
    const rules = body.data.groups.flatMap((group) => group.rules);
    expect(rules.filter((rule) => rule.health !== 'ok')).toEqual([]);
    expect(rules.filter((rule) => rule.type === 'alerting').map((rule) => rule.name)).toEqual(
      alertingRules().map((rule) => rule.alert),
    );
    expect(rules.filter((rule) => rule.type === 'recording')).toHaveLength(recordingRules().length);
  });

  it('the incident fires the latency alerts for storage/fetch_record, after it starts; the flaky orders tool fires the error alert', async () => {
    const firing = await rangeQuery('ALERTS{alertstate="firing"}');
    const fired = (alertname: string, service?: string, tool?: string) =>
      firing.filter(
        (s) =>
          s.metric.alertname === alertname &&
          (service === undefined || s.metric.toolscope_service === service) &&
          (tool === undefined || s.metric.gen_ai_tool_name === tool),
      );
    const summary = firing.map(
      (s) => `${s.metric.alertname} ${s.metric.toolscope_service}/${s.metric.gen_ai_tool_name}`,
    );
    expect(incidentStart, 'the demo printed its incident window').toBeGreaterThan(runStart);

    // A latency alert for the incident: the fleet-wide z-score against the baseline
    // (ToolLatencyAnomaly) or toolscope's own critical verdict (ToolAnomalyDetected). In a 40 s demo
    // the z-score is borderline: since the tuner stopped doubling the incident (issue 16), the slowdown
    // is milder, and each rule has fired without the other in clean runs. Each rule's logic is
    // checked deterministically by promtool (collector/tests/alerts.test.yml); here: at least one
    // fires, and none before the incident.
    const latencyAlerts = ['ToolLatencyAnomaly', 'ToolAnomalyDetected'].flatMap((name) =>
      fired(name, 'storage', 'fetch_record'),
    );
    expect(
      latencyAlerts.length,
      `a latency alert for storage/fetch_record; fired: ${summary.join(', ')}`,
    ).toBeGreaterThan(0);
    for (const series of latencyAlerts)
      expect(
        series.values[0]?.[0] as number,
        `${series.metric.alertname} fired before the incident`,
      ).toBeGreaterThan(incidentStart);
    // toolscope's analyzer flagged the tool during the incident (any severity).
    const active = await rangeQuery(
      'max(toolscope_anomaly_active{toolscope_service="storage",gen_ai_tool_name="fetch_record"})',
    );
    const flagged = active[0]?.values.some(([t, v]) => v === '1' && Number(t) > incidentStart) ?? false;
    expect(flagged, 'toolscope flagged storage/fetch_record during the incident').toBe(true);
    // toolscope's own analyzer: ToolAnomalyDetected follows its *critical* verdicts only
    // (collector/tests/alerts.test.yml). Severity follows what users feel (issue 16): the demo's
    // slowdown adds about 200 ms, a warning on a quiet machine, and turns critical where a loaded
    // machine adds more. The alert must follow whichever toolscope said.
    const critical = await rangeQuery(
      'max(toolscope_anomaly_active{toolscope_service="storage",gen_ai_tool_name="fetch_record",toolscope_severity="critical"})',
    );
    const criticalSamples = critical[0]?.values.filter(([, v]) => v === '1').length ?? 0;
    const detected = fired('ToolAnomalyDetected', 'storage', 'fetch_record');
    if (criticalSamples === 0) expect(detected, summary.join(', ')).toEqual([]);
    if (criticalSamples >= 5) {
      expect(
        detected,
        `ToolAnomalyDetected for storage/fetch_record; fired: ${summary.join(', ')}`,
      ).toHaveLength(1);
      expect(
        detected[0]?.values[0]?.[0] as number,
        'ToolAnomalyDetected fired before the incident',
      ).toBeGreaterThan(incidentStart);
    }
    // Anything critical from toolscope's analyzer came after the incident began.
    const firstCritical = critical[0]?.values.find(([, v]) => v === '1')?.[0];
    if (firstCritical !== undefined) expect(Number(firstCritical)).toBeGreaterThan(incidentStart);
    // orders_submit fails ~12 % of its calls by design.
    expect(fired('ToolErrorRatioHigh', 'orders', 'submit'), summary.join(', ')).toHaveLength(1);
    // Nothing was down or broken.
    for (const alertname of ['ToolscopeUpstreamDown', 'ToolBreakerOpen'])
      expect(fired(alertname), summary.join(', ')).toEqual([]);
    // The demo was up: while it ran, most scrapes answered. (ToolscopeDown's scaled `for` is shorter
    // than one scrape here, so a single scrape that a busy machine makes miss its timeout fires it.)
    const window = Math.ceil(demoEnd - (incidentStart - DEMO_SECONDS * INCIDENT.from));
    const params = new URLSearchParams({ query: `up{job="toolscope"}[${window}s]`, time: String(demoEnd) });
    const response = await fetch(`${prometheus.url}/api/v1/query`, { method: 'POST', body: params });
    const scrapes =
      ((await response.json()) as { data: { result: RangeSeries[] } }).data.result[0]?.values ?? [];
    const answered = scrapes.filter(([, v]) => v === '1').length;
    console.log(`scrapes while the demo ran: ${answered} of ${scrapes.length} answered`);
    expect(scrapes.length).toBeGreaterThan(5);
    expect(answered / scrapes.length, 'share of scrapes that answered').toBeGreaterThan(0.8);
  });
});
