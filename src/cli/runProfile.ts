import { setTimeout as sleep } from 'node:timers/promises';
import { type StatusClient, StatusClientError } from '../dashboard/index.js';
import { say } from './cliOutput.js';
import { connectInstance } from './connectInstance.js';
import { formatMs } from './formatTable.js';

/** Options of `toolscope profile`. */
export interface ProfileCommandOptions {
  url?: string;
  token?: string;
  tool: string;
  seconds: number;
  json?: boolean;
}

/** `toolscope profile <tool> --seconds N`: a CPU profile of the running instance, and its hottest functions. */
export async function runProfile(options: ProfileCommandOptions): Promise<void> {
  const client = await connectInstance({ url: options.url, token: options.token });
  say(`profiling ${client.url} for ${options.seconds} s…`);
  // One capture at a time: an automatic one (on an anomaly) may be running; wait it out, briefly.
  const deadline = Date.now() + 30_000;
  let result: Awaited<ReturnType<StatusClient['profile']>>;
  for (let waited = false; ; ) {
    try {
      result = await client.profile(options.tool, options.seconds);
      break;
    } catch (error) {
      const busy = error instanceof StatusClientError && error.status === 409 && /busy/.test(error.message);
      if (!busy || Date.now() > deadline) throw error;
      if (!waited) say('another capture is running; waiting for it to finish…');
      waited = true;
      await sleep(1000);
    }
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const lines = [
    `CPU profile of ${result.toolKey}: ${result.sampleCount} samples over ${formatMs(result.durationMs)} (whole process)`,
    `saved: ${result.path}  (open in Chrome DevTools › Performance, or speedscope)`,
    '',
    '   self    total  function',
  ];
  for (const fn of result.top.slice(0, 10)) {
    const where = fn.url ? ` ${fn.url.replace(/^file:\/\//, '')}:${fn.line}` : '';
    lines.push(
      `${(fn.selfShare * 100).toFixed(1).padStart(6)} % ${(fn.totalShare * 100).toFixed(1).padStart(6)} %  ${fn.functionName}${where}`,
    );
  }
  if (result.heap)
    lines.push(
      '',
      `heap profiles: ${result.heap.allocationPath}`,
      `               ${result.heap.retentionPath}`,
    );
  process.stdout.write(`${lines.join('\n')}\n`);
}
