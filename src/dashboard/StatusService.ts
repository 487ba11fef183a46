import type { ProfileCaptureResult } from '../profiling/index.js';
import { AnomalyLog } from './AnomalyLog.js';
import { buildStatus, type StatusQuery } from './buildStatus.js';
import { buildExport, type ExportDocument } from './exportDocument.js';
import type { StatusHost } from './StatusHost.js';
import type { StatusSnapshot } from './StatusSnapshot.js';

const services = new WeakMap<StatusHost, StatusService>();

/**
 * The status API's state for one runtime: the anomaly episodes and per-bucket
 * scores (subscribed to the analyzer's verdicts once, when the service is
 * first asked for), and the three things the API does — status, export, profile.
 * Verdicts that came before the subscription are not in the episodes: entry
 * points ask for their routes before serving calls.
 */
export class StatusService {
  readonly host: StatusHost;
  readonly anomalies = new AnomalyLog();

  private constructor(host: StatusHost) {
    this.host = host;
    host.analysis.addVerdictObserver(host.stats);
    host.analysis.addVerdictObserver(this.anomalies);
  }

  /** The one service of this runtime (created and subscribed on first use). */
  static for(host: StatusHost): StatusService {
    let service = services.get(host);
    if (!service) {
      service = new StatusService(host);
      services.set(host, service);
    }
    return service;
  }

  status(query: StatusQuery = {}): StatusSnapshot {
    return buildStatus(this.host, this.anomalies, query);
  }

  export(options: { since?: number; now?: number } = {}): ExportDocument {
    return buildExport(this.host, this.anomalies, options);
  }

  /**
   * The tool key for a name an operator typed: the name agents call
   * (`storage_fetch_record`), the `service/tool` key, or a tool's original name
   * when only one service has it. `undefined` when nothing matches.
   */
  resolveTool(name: string): string | undefined {
    const { gateway } = this.host;
    const scope = gateway.scopes.get(gateway.mode === 'proxy' ? 'proxy' : 'store');
    const entries = [...(scope?.tools.entries() ?? [])];
    const exact = entries.find((entry) => entry.exposedName === name || entry.resolved.ref.key === name);
    if (exact) return exact.resolved.ref.key;
    const byOriginal = entries.filter((entry) => entry.originalName === name);
    if (byOriginal.length === 1) return byOriginal[0]!.resolved.ref.key;
    if (entries.length > 0) return undefined;
    // No catalogue (an app's own servers, in process): the tools that have been called.
    const called = this.host.stats.summaries().filter((s) => s.key === name || s.tool === name);
    return called.length === 1 ? called[0]!.key : undefined;
  }

  /** Captures a CPU profile of this process while `toolKey` runs (see `CpuProfileCapture.capture`). */
  profile(toolKey: string, seconds: number | undefined): Promise<ProfileCaptureResult> {
    return this.host.profiling.capture.capture({ toolKey, seconds, reason: 'on_demand' });
  }
}
