import { renderStatus } from '../dashboard/index.js';
import { connectInstance } from './connectInstance.js';

/** Options of `toolscope status`. */
export interface StatusCommandOptions {
  url?: string;
  token?: string;
  /** Print the raw `/status` JSON (without series) instead of tables. */
  json?: boolean;
}

/** `toolscope status`: one look at a running instance, as tables. */
export async function runStatus(options: StatusCommandOptions): Promise<void> {
  const client = await connectInstance({ url: options.url, token: options.token });
  const status = await client.status({ series: false });
  if (options.json) {
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    return;
  }
  process.stdout.write(renderStatus(status, { url: client.url, width: process.stdout.columns || 100 }));
}
