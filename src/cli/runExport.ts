import { writeFile } from 'node:fs/promises';
import { StatusClient } from '../dashboard/index.js';

/** Options of `toolscope export`. */
export interface ExportCommandOptions {
  url?: string;
  token?: string;
  format: 'json' | 'csv';
  /** `10m`, `2h`, an ISO date or epoch ms; read by the instance against its own clock. */
  since?: string;
  /** Write here instead of stdout. */
  output?: string;
}

/** `toolscope export`: tool summaries, alerts, anomalies and tuning decisions, as JSON or CSV. */
export async function runExport(options: ExportCommandOptions): Promise<void> {
  const client = await StatusClient.connect({ url: options.url, token: options.token });
  const body = await client.export(options.format, options.since);
  if (options.output) {
    await writeFile(options.output, body);
    process.stderr.write(`toolscope: export written to ${options.output}\n`);
  } else {
    process.stdout.write(body);
  }
}
