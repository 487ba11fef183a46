import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The exemplars Prometheus stored for one series. */
export interface StoredExemplars {
  seriesLabels: Record<string, string>;
  exemplars: Array<{ labels: Record<string, string>; value: string; timestamp: number }>;
}

/** One sample of an instant-query vector. */
export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

/**
 * A real Prometheus server on loopback for tests: started with a given config
 * (and optional rule files), queried over its HTTP API, removed afterwards.
 */
export class PrometheusServer {
  readonly #configYaml: string;
  readonly #files: Record<string, string>;
  readonly #flags: readonly string[];
  #child: ChildProcess | undefined;
  #dir = '';
  #url = '';
  #log = '';

  /**
   * @param files extra files written next to the config (rule files), by name.
   * @param flags extra command-line flags, e.g. `--enable-feature=exemplar-storage`.
   */
  constructor(configYaml: string, files: Record<string, string> = {}, flags: readonly string[] = []) {
    this.#configYaml = configYaml;
    this.#files = files;
    this.#flags = flags;
  }

  get url(): string {
    return this.#url;
  }

  /** The directory holding the config and extra files (rule paths in the config are relative to it). */
  get dir(): string {
    return this.#dir;
  }

  async start(): Promise<string> {
    this.#dir = await mkdtemp(join(tmpdir(), 'toolscope-prom-'));
    await writeFile(join(this.#dir, 'prometheus.yml'), this.#configYaml);
    for (const [name, content] of Object.entries(this.#files))
      await writeFile(join(this.#dir, name), content);
    const port = await freePort();
    this.#url = `http://127.0.0.1:${port}`;
    this.#child = spawn(
      'prometheus',
      [
        `--config.file=${join(this.#dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(this.#dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-lifecycle',
        ...this.#flags,
      ],
      { cwd: this.#dir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.#child.stderr?.on('data', (chunk: Buffer) => {
      this.#log = (this.#log + chunk.toString()).slice(-20_000);
    });
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (this.#child.exitCode !== null) throw new Error(`prometheus exited: ${this.#log}`);
      try {
        if ((await fetch(`${this.#url}/-/ready`)).ok) return this.#url;
      } catch {
        // not up yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`prometheus did not become ready: ${this.#log}`);
  }

  /** Run an instant query; returns the vector (or a scalar as one sample). */
  async query(promql: string): Promise<PromSample[]> {
    const response = await fetch(`${this.#url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: unknown };
    };
    if (body.status !== 'success') throw new Error(`query failed: ${promql}: ${body.error}`);
    const { resultType, result } = body.data as { resultType: string; result: unknown };
    if (resultType === 'scalar') return [{ metric: {}, value: Number((result as [number, string])[1]) }];
    return (result as Array<{ metric: Record<string, string>; value: [number, string] }>).map((item) => ({
      metric: item.metric,
      value: Number(item.value[1]),
    }));
  }

  /** Stored exemplars of the series `promql` selects, over the last `seconds` (`/api/v1/query_exemplars`). */
  async exemplars(promql: string, seconds = 600): Promise<StoredExemplars[]> {
    const end = Date.now() / 1000;
    const query = new URLSearchParams({ query: promql, start: String(end - seconds), end: String(end) });
    const response = await fetch(`${this.#url}/api/v1/query_exemplars?${query}`);
    const body = (await response.json()) as { status: string; error?: string; data?: StoredExemplars[] };
    if (body.status !== 'success') throw new Error(`exemplar query failed: ${promql}: ${body.error}`);
    return body.data ?? [];
  }

  /** Alerts as the rules engine sees them (`/api/v1/alerts`). */
  async alerts(): Promise<Array<{ labels: Record<string, string>; state: string }>> {
    const response = await fetch(`${this.#url}/api/v1/alerts`);
    const body = (await response.json()) as {
      data: { alerts: Array<{ labels: Record<string, string>; state: string }> };
    };
    return body.data.alerts;
  }

  /** Health of every scrape target. */
  async targets(): Promise<Array<{ health: string; scrapeUrl: string; lastError: string }>> {
    const response = await fetch(`${this.#url}/api/v1/targets`);
    const body = (await response.json()) as {
      data: { activeTargets: Array<{ health: string; scrapeUrl: string; lastError: string }> };
    };
    return body.data.activeTargets;
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
  }
}
