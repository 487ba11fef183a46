import { writeFile } from 'node:fs/promises';
import { say } from './cliOutput.js';
import { connectInstance } from './connectInstance.js';

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
  const client = await connectInstance({ url: options.url, token: options.token });
  const body = await client.export(options.format, options.since);
  if (options.output) {
    await writeFile(options.output, body);
    say(`export written to ${options.output}`);
  } else {
    process.stdout.write(body);
  }
}
