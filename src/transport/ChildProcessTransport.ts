import { type ChildProcess, spawn } from 'node:child_process';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { diag } from '@opentelemetry/api';
import { errorResponse } from '../jsonrpc/messages.js';
import { LineReader, peekMessageId } from './LineReader.js';
import { StderrTail } from './StderrTail.js';

/** How to start a stdio MCP server. */
export interface ChildProcessSpec {
  command: string;
  args: readonly string[];
  /** Environment of the child (complete: nothing is inherited implicitly). */
  env: Record<string, string>;
  cwd?: string | undefined;
  /** Also copy the child's stderr to ours (the proxy does, so agents still show server logs). */
  echoStderr?: boolean | undefined;
  /** Largest message accepted from the child, bytes. @default 16 MiB */
  maxMessageBytes?: number | undefined;
  /** Grace periods of the shutdown sequence (stdin close → SIGTERM → SIGKILL), ms. @default 2000 */
  shutdownGraceMs?: number | undefined;
}

/** Exit status of the child once it has gone. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why toolscope stopped a child that was still running (e.g. its stdin broke), if it did. */
  cause?: string | undefined;
}

const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/**
 * After the child exits: time for its last output to be read before the rest of
 * its process group is killed, and again before its pipes are let go.
 */
const EXIT_DRAIN_MS = 200;
/** After a write breaks the pipe: time for a child that is dying anyway to be seen exiting. */
const BROKEN_PIPE_SETTLE_MS = 100;

/**
 * An MCP client transport over a child process's stdin/stdout. Unlike the SDK's
 * stdio transport it always drains stderr (a full stderr pipe would block the
 * child), rejects oversized lines with flat memory, survives EPIPE, and runs the
 * child in its own process group so shutdown reaches grandchildren
 * (`npx` → `node`) too: stdin close → SIGTERM → SIGKILL, to the whole group.
 * The connection ends when the child exits even if a grandchild still holds its
 * pipes (the leftovers of its group are killed), and a child whose stdin broke
 * or whose stdout ended while it lives on is stopped, so that it is restarted
 * rather than left deaf or mute.
 */
export class ChildProcessTransport implements Transport {
  readonly #spec: ChildProcessSpec;
  readonly stderrTail = new StderrTail();
  #child: ChildProcess | undefined;
  #exit: ChildExit | undefined;
  #exited: Promise<void> = Promise.resolve();
  #closed = false;
  /** Set when we stop a child that still runs (see `ChildExit.cause`). */
  #cause: string | undefined;
  #started: Promise<void> | undefined;

  onmessage: Transport['onmessage'];
  onclose: (() => void) | undefined;
  onerror: ((error: Error) => void) | undefined;

  constructor(spec: ChildProcessSpec) {
    this.#spec = spec;
  }

  /** The child's pid while it runs (the process-group id too). */
  get pid(): number | undefined {
    return this.#exit ? undefined : this.#child?.pid;
  }

  /** How the child ended, once it has. */
  get exit(): ChildExit | undefined {
    return this.#exit;
  }

  /** Start the child. Idempotent: a transport started early (to overlap its boot) is not started twice. */
  start(): Promise<void> {
    this.#started ??= this.#spawn();
    return this.#started;
  }

  #spawn(): Promise<void> {
    const spec = this.#spec;
    return new Promise((resolve, reject) => {
      const child = spawn(spec.command, [...spec.args], {
        cwd: spec.cwd,
        env: spec.env,
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
        windowsHide: true,
      });
      this.#child = child;
      let settled = false;
      this.#exited = new Promise((onExit) => {
        child.once('close', (code, signal) => {
          this.#exit ??= { code, signal, cause: this.#cause };
          onExit();
          this.#finish();
        });
      });
      // 'close' waits for the pipes, which a grandchild may hold open for ever after
      // the server died: the leader's exit is the end of the server.
      child.once('exit', (code, signal) => {
        this.#exit ??= { code, signal, cause: this.#cause };
        setTimeout(() => this.#reapAfterExit(child), EXIT_DRAIN_MS).unref();
      });
      child.once('error', (error) => {
        if (!settled) {
          settled = true;
          this.#exit = { code: null, signal: null };
          reject(new Error(`cannot start "${spec.command}": ${error.message}`));
          this.#finish();
        } else {
          this.onerror?.(error);
        }
      });
      child.once('spawn', () => {
        settled = true;
        resolve();
      });
      const reader = new LineReader(
        spec.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
        (line) => this.#onLine(line),
        (head, total) => this.#onOversize(head, total),
      );
      child.stdout?.on('data', (chunk: Buffer) => reader.push(chunk));
      // EOF on its stdout: the server can never answer again, even if it lives on. That is its
      // going away (unless it is exiting anyway, which the settle time lets through).
      child.stdout?.once('end', () => {
        setTimeout(() => this.#stopDeaf('its stdout closed'), BROKEN_PIPE_SETTLE_MS).unref();
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        this.stderrTail.push(chunk);
        if (spec.echoStderr) process.stderr.write(chunk);
      });
      // EPIPE when the child dies mid-write, or closed its stdin and lives on deaf:
      // report, never crash, and make sure it ends so that it is restarted.
      child.stdin?.on('error', (error) => {
        this.onerror?.(error);
        const code = (error as NodeJS.ErrnoException).code ?? error.message;
        setTimeout(() => this.#stopDeaf(`its stdin broke (${code})`), BROKEN_PIPE_SETTLE_MS).unref();
      });
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.#child?.stdin;
    if (!stdin || stdin.destroyed || this.#exit) return Promise.reject(new Error('process is not running'));
    stdin.write(`${JSON.stringify(message)}\n`);
    return Promise.resolve();
  }

  /** Stop the child: close its stdin, then SIGTERM, then SIGKILL to its process group. */
  async close(): Promise<void> {
    const child = this.#child;
    if (child && !this.#exit) {
      const grace = this.#spec.shutdownGraceMs ?? 2000;
      child.stdin?.end();
      if (!(await this.#waitExit(grace))) {
        this.#killGroup('SIGTERM');
        if (!(await this.#waitExit(grace))) {
          this.#killGroup('SIGKILL');
          await this.#waitExit(grace);
        }
      }
    }
    // Orphaned grandchildren may keep the group alive after the leader exits.
    this.#killGroup('SIGKILL');
    this.#finish();
  }

  /** Kill at once (process exit handlers: no time to be graceful). */
  killNow(): void {
    this.#killGroup('SIGKILL');
  }

  /** Stop a child that can no longer receive messages (SIGTERM, then SIGKILL), unless it has exited. */
  #stopDeaf(cause: string): void {
    if (this.#exit || this.#cause) return;
    this.#cause = cause;
    this.#killGroup('SIGTERM');
    const timer = setTimeout(() => {
      if (!this.#exit) this.#killGroup('SIGKILL');
    }, this.#spec.shutdownGraceMs ?? 2000);
    timer.unref();
  }

  /** The server has exited: end what is left of its group, then stop waiting for its pipes. */
  #reapAfterExit(child: ChildProcess): void {
    if (this.#closed) return;
    this.#killGroup('SIGKILL');
    // A holder outside the group (it started its own session) keeps the pipes open: let go of them.
    const timer = setTimeout(() => {
      if (this.#closed) return;
      for (const stream of [child.stdin, child.stdout, child.stderr]) stream?.destroy();
    }, EXIT_DRAIN_MS);
    timer.unref();
  }

  #killGroup(signal: NodeJS.Signals): void {
    const pid = this.#child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone.
    }
  }

  async #waitExit(ms: number): Promise<boolean> {
    if (this.#exit) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const exited = await Promise.race([this.#exited.then(() => true), timeout]);
    clearTimeout(timer);
    return exited;
  }

  #onLine(line: Buffer): void {
    let message: unknown;
    try {
      message = JSON.parse(line.toString('utf8'));
    } catch {
      // Servers must not write non-MCP output to stdout; say so once per line, cheaply.
      diag.warn(`toolscope: ignored a non-JSON line on a server's stdout (${line.length} bytes)`);
      return;
    }
    this.onmessage?.(message as JSONRPCMessage, { byteLength: line.length } as never);
  }

  #onOversize(head: Buffer, total: number): void {
    const id = peekMessageId(head);
    const limit = this.#spec.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const text = `message from server too large (${total} bytes; limit ${limit})`;
    this.onerror?.(new Error(text));
    // Fail the request it answered, if we can tell which one, rather than letting it hang.
    if (id !== null) this.onmessage?.(errorResponse(id, -32603, text) as JSONRPCMessage);
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onclose?.();
  }
}
