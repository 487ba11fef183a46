import type { ProfileCaptureResult } from '../profiling/index.js';
import { findInstances, type InstanceRecord, instancesDirectory } from './instanceDiscovery.js';
import type { StatusSnapshot } from './StatusSnapshot.js';

/** How the CLI picks the instance to talk to. */
export interface StatusClientOptions {
  /** Explicit base URL (`--url`); otherwise TOOLSCOPE_URL, then instance records, then the default port. */
  url?: string;
  /** Bearer token (`--token`); otherwise TOOLSCOPE_TOKEN. */
  token?: string;
  env?: NodeJS.ProcessEnv;
  /** Per-request timeout for status reads, ms. @default 10000 */
  timeoutMs?: number;
}

/** The status API refused or failed; `message` says what to do about it. */
export class StatusClientError extends Error {
  override readonly name = 'StatusClientError';
  /** HTTP status, when the instance answered. */
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}

const DEFAULT_URL = 'http://127.0.0.1:8765';

/**
 * The CLI's side of the status API (`toolscope status/top/export/profile`).
 * Finds a running instance: `--url`, else `TOOLSCOPE_URL`, else the newest live
 * instance record in `$TOOLSCOPE_HOME/instances` (then older ones), else
 * `http://127.0.0.1:8765` — the first that answers.
 */
export class StatusClient {
  readonly url: string;
  /** The instance record it was found by, when it was picked from the records (no `--url`). */
  picked: InstanceRecord | undefined;
  /** The other running instances when it was picked from the records, newest first. */
  others: readonly InstanceRecord[] = [];
  readonly #token: string | undefined;
  readonly #timeoutMs: number;

  private constructor(url: string, token: string | undefined, timeoutMs: number) {
    this.url = url.replace(/\/+$/, '');
    this.#token = token;
    this.#timeoutMs = timeoutMs;
  }

  /** Connects to the first instance that answers `GET /healthz`-like probes (`/status?series=0`). */
  static async connect(options: StatusClientOptions = {}): Promise<StatusClient> {
    const env = options.env ?? process.env;
    const token = options.token ?? (env.TOOLSCOPE_TOKEN || undefined);
    // A bound for a hung instance: a busy one (a CPU-heavy tool in process, a loaded machine) can
    // take seconds to answer, and is still the one the user wants.
    const timeoutMs = options.timeoutMs ?? 10_000;
    const explicit = options.url ?? (env.TOOLSCOPE_URL || undefined);
    const records = explicit ? [] : findInstances(instancesDirectory(env));
    const candidates = explicit ? [explicit] : [...records.map((record) => record.url), DEFAULT_URL];
    const failures: string[] = [];
    for (const url of [...new Set(candidates)]) {
      const client = new StatusClient(url, token, timeoutMs);
      try {
        await client.status({ series: false });
        client.picked = records.find((record) => record.url === url);
        if (!explicit) client.others = records.filter((record) => record !== client.picked);
        return client;
      } catch (error) {
        // Refused credentials or Host/Origin are about the right instance: say so at once.
        if (error instanceof StatusClientError && (error.status === 401 || error.status === 403)) throw error;
        failures.push(
          `${url}: ${(error as Error).cause ? String((error as Error).cause) : (error as Error).message}`,
        );
      }
    }
    if (explicit)
      throw new StatusClientError(`toolscope at ${explicit} did not answer (${failures.join('; ')})`);
    // A recorded instance that is running but did not answer (busy, or hung) is not "none found":
    // say which ones were tried and why they failed.
    throw new StatusClientError(
      records.length > 0
        ? `no recorded toolscope answered (${failures.join('; ')}); pass --url to pick one, or start one`
        : `no running toolscope found (looked in ${instancesDirectory(env)} and at ${DEFAULT_URL}); ` +
            'start one (toolscope gateway --http, or toolscope demo) or pass --url',
    );
  }

  /** `GET /status`. */
  async status(query: { series?: boolean; since?: string; points?: number } = {}): Promise<StatusSnapshot> {
    const params = new URLSearchParams();
    if (query.series === false) params.set('series', '0');
    if (query.points !== undefined) params.set('points', String(query.points));
    if (query.since) params.set('since', query.since);
    const res = await this.#request(`/status?${params}`, {});
    return (await res.json()) as StatusSnapshot;
  }

  /** `GET /export`: the document as text (JSON or CSV). */
  async export(format: 'json' | 'csv', since?: string): Promise<string> {
    const params = new URLSearchParams({ format });
    if (since) params.set('since', since);
    const res = await this.#request(`/export?${params}`, {});
    return res.text();
  }

  /** `POST /profile`: resolves when the capture is done. */
  async profile(tool: string, seconds: number): Promise<ProfileCaptureResult> {
    const res = await this.#request(
      '/profile',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tool, seconds }),
      },
      seconds * 1000 + 30_000,
    );
    return (await res.json()) as ProfileCaptureResult;
  }

  async #request(path: string, init: RequestInit, timeoutMs = this.#timeoutMs): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.#token) headers.set('authorization', `Bearer ${this.#token}`);
    const res = await fetch(`${this.url}${path}`, {
      ...init,
      headers,
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.ok) return res;
    const text = await res.text().catch(() => '');
    let message = text;
    try {
      const body = JSON.parse(text) as { error?: string | { message?: string } };
      message = typeof body.error === 'string' ? body.error : (body.error?.message ?? text);
    } catch {
      // Not JSON: keep the text.
    }
    if (res.status === 401)
      throw new StatusClientError(
        `toolscope at ${this.url} requires a token: pass --token or set TOOLSCOPE_TOKEN`,
        401,
      );
    if (res.status === 404 && path.startsWith('/status'))
      throw new StatusClientError(`${this.url} is not a toolscope with a status API (404 on /status)`, 404);
    throw new StatusClientError(
      `${res.status} from ${this.url}${path.split('?')[0]}: ${message}`,
      res.status,
    );
  }
}
