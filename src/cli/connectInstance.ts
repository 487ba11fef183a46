import { type InstanceRecord, StatusClient, type StatusClientOptions } from '../dashboard/index.js';
import { say } from './cliOutput.js';

function describe(record: InstanceRecord, now: number): string {
  const minutes = Math.max(0, Math.round((now - record.startedAt) / 60_000));
  const age = minutes < 1 ? 'started just now' : `started ${minutes} min ago`;
  const config = record.config ? `, ${record.config}` : '';
  return `${record.mode} at ${record.url} (pid ${record.pid}, ${age}${config})`;
}

/**
 * Connects to a running instance (`--url`, `TOOLSCOPE_URL`, else the newest
 * recorded one that answers) and, when it picked one itself, says which on
 * stderr, and which others run: a command never talks to the wrong toolscope silently.
 */
export async function connectInstance(options: StatusClientOptions): Promise<StatusClient> {
  const client = await StatusClient.connect(options);
  if (options.url || process.env.TOOLSCOPE_URL) return client;
  const now = Date.now();
  const picked = client.picked ? describe(client.picked, now) : `${client.url} (no instance record)`;
  const others = client.others.map((record) => describe(record, now));
  say(
    `using ${picked}` +
      (others.length > 0
        ? `; also running: ${others.join('; ')}. Pick one with --url (or TOOLSCOPE_URL)`
        : ''),
    { url: client.url, others: client.others.map((record) => record.url) },
  );
  return client;
}
