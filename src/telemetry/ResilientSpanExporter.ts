import { type Attributes, type Counter, diag } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_ERROR_TYPE } from './semconv.js';

/**
 * Keeps a failing or hanging telemetry backend from troubling anyone: each
 * export is bounded by `timeoutMs`; a failed batch is counted as dropped
 * (`toolscope.telemetry.dropped{error.type}`), and the failure is logged once
 * when an outage starts and once when it ends — never per batch. The batch
 * processor is told the export succeeded (it does not retry, it would only log
 * every failure), so memory stays bounded by its queue.
 */
export class ResilientSpanExporter implements SpanExporter {
  readonly #inner: SpanExporter;
  readonly #timeoutMs: number;
  readonly #dropped: Counter | undefined;
  readonly #target: string;
  #failing = false;
  #droppedInOutage = 0;
  /** Spans dropped since start, all reasons (for status and tests). */
  droppedSpans = 0;
  exportedSpans = 0;

  constructor(inner: SpanExporter, options: { timeoutMs: number; dropped?: Counter; target: string }) {
    this.#inner = inner;
    this.#timeoutMs = options.timeoutMs;
    this.#dropped = options.dropped;
    this.#target = options.target;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    let settled = false;
    const timer = setTimeout(
      () =>
        settle(
          { code: ExportResultCode.FAILED, error: new Error(`timed out after ${this.#timeoutMs} ms`) },
          'timeout',
        ),
      this.#timeoutMs,
    );
    timer.unref();
    const settle = (result: ExportResult, reason?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (result.code === ExportResultCode.SUCCESS) this.#succeeded(spans.length);
      else this.#failed(spans.length, reason ?? 'export_failed', result.error);
      resultCallback({ code: ExportResultCode.SUCCESS });
    };
    try {
      this.#inner.export(spans, (result) => settle(result));
    } catch (error) {
      settle({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  shutdown(): Promise<void> {
    return withTimeout(this.#inner.shutdown(), this.#timeoutMs);
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush
      ? withTimeout(this.#inner.forceFlush(), this.#timeoutMs)
      : Promise.resolve();
  }

  #succeeded(count: number): void {
    this.exportedSpans += count;
    if (this.#failing) {
      this.#failing = false;
      diag.warn(
        `toolscope: trace export to ${this.#target} recovered; ${this.#droppedInOutage} spans were dropped meanwhile`,
      );
      this.#droppedInOutage = 0;
    }
  }

  #failed(count: number, reason: string, error: Error | undefined): void {
    this.droppedSpans += count;
    this.#droppedInOutage += count;
    const attributes: Attributes = { [ATTR_ERROR_TYPE]: reason };
    this.#dropped?.add(count, attributes);
    if (!this.#failing) {
      this.#failing = true;
      diag.warn(
        `toolscope: trace export to ${this.#target} is failing (${error?.message ?? reason}); dropping spans until it recovers. Calls are not affected.`,
      );
    }
  }
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}
