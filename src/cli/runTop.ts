import { setTimeout as sleep } from 'node:timers/promises';
import { renderTop, type StatusSnapshot } from '../dashboard/index.js';
import { connectInstance } from './connectInstance.js';

/** Options of `toolscope top`. */
export interface TopCommandOptions {
  url?: string;
  token?: string;
  /** Seconds between refreshes. @default 1 */
  interval?: number;
  /** Print one frame and exit (also what happens when stdout is not a terminal). */
  once?: boolean;
}

const ALT_SCREEN_ON = '\u001b[?1049h\u001b[?25l';
const ALT_SCREEN_OFF = '\u001b[?25h\u001b[?1049l';

/** `toolscope top`: a live view of a running instance, redrawn every interval until `q` or Ctrl-C. */
export async function runTop(options: TopCommandOptions): Promise<void> {
  const client = await connectInstance({ url: options.url, token: options.token });
  const interval = options.interval ?? 1;
  const out = process.stdout;
  const stdin = process.stdin;
  const fetchStatus = () => client.status({ points: 20 });
  if (options.once || !out.isTTY) {
    // Two looks one interval apart, so the frame has call rates.
    const first = await fetchStatus();
    await sleep(interval * 1000);
    const status = await fetchStatus();
    const frame = renderTop(status, {
      url: client.url,
      width: out.columns || 120,
      height: out.rows || 40,
      previous: first,
      intervalSeconds: interval,
      fill: false,
    });
    out.write(`${frame.join('\n').trimEnd()}\n`);
    return;
  }

  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const onKey = (key: Buffer) => {
    const text = key.toString();
    if (text === 'q' || text === 'Q' || text === '\u0003' || text === '\u001b') stop();
  };
  let previous: StatusSnapshot | undefined;
  let current: StatusSnapshot | undefined;
  let error: string | undefined;
  const draw = () => {
    if (!current) return;
    const frame = renderTop(current, {
      url: client.url,
      width: out.columns || 80,
      height: out.rows || 24,
      previous,
      intervalSeconds: interval,
      error,
    });
    out.write(`\u001b[H${frame.join('\u001b[K\n')}\u001b[K\u001b[J`);
  };
  out.write(ALT_SCREEN_ON);
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.on('data', onKey);
  stdin.resume();
  out.on('resize', draw);
  process.once('SIGTERM', stop);
  try {
    while (true) {
      try {
        const next = await fetchStatus();
        previous = current;
        current = next;
        error = undefined;
      } catch (e) {
        error = (e as Error).message;
      }
      draw();
      const tick = sleep(interval * 1000).then(() => false);
      if (await Promise.race([tick, stopped.then(() => true)])) break;
    }
  } finally {
    out.off('resize', draw);
    process.off('SIGTERM', stop);
    stdin.off('data', onKey);
    if (stdin.isTTY) stdin.setRawMode(false);
    stdin.pause();
    out.write(ALT_SCREEN_OFF);
  }
}
