import {
  type CallObserver,
  type CallStage,
  type NextStage,
  ObserveStage,
  type ToolCall,
  type ToolResult,
} from '../pipeline/index.js';
import { reportOnce } from './reportOnce.js';

/**
 * The pipeline that in-process tool handlers of instrumented servers run in:
 * `observe → [added stages] → execute`. There is no validate, admit or guard
 * stage here on purpose: instrumentation must never change what the app's
 * server answers.
 *
 * Other capabilities attach here. An observer (`subscribe`) receives every
 * finished call's `CallObservation` (the register hook subscribes
 * `toolscope.*` metrics); a stage (`addStage`) runs inside the observe stage,
 * before the handler, in the order added (profiling measures the handler
 * there). Changes apply to the next call of every instrumented server.
 *
 * Stages added here are guarded: one that throws before handing the call on is
 * skipped (reported once), and one that fails after it cannot replace the
 * handler's own result or error.
 */
export class InProcessInstrumentation {
  /** The observe stage every in-process call runs in. */
  readonly observe: ObserveStage;
  #stages: readonly CallStage[] = [];
  #version = 0;

  constructor(observe: ObserveStage = new ObserveStage()) {
    this.observe = observe;
  }

  /** Stages between observe and execute, in order. */
  get stages(): readonly CallStage[] {
    return this.#stages;
  }

  /** Bumped on every stage change (pipelines rebuild when it moves). */
  get version(): number {
    return this.#version;
  }

  /** Receive every in-process call's observation; returns a function that unsubscribes. */
  subscribe(observer: CallObserver): () => void {
    return this.observe.subscribe(observer);
  }

  /** Run `stage` inside observe, before the handler; returns a function that removes it. */
  addStage(stage: CallStage): () => void {
    const guarded = new GuardedStage(stage);
    this.#stages = [...this.#stages, guarded];
    this.#version++;
    return () => {
      this.#stages = this.#stages.filter((item) => item !== guarded);
      this.#version++;
    };
  }
}

/**
 * A stage added by another capability, kept from changing the app's outcome:
 * the call's own result or error always wins over the stage's failure.
 */
class GuardedStage implements CallStage {
  readonly name: string;
  readonly #stage: CallStage;

  constructor(stage: CallStage) {
    this.#stage = stage;
    this.name = stage.name;
  }

  async handle(call: ToolCall, next: NextStage): Promise<ToolResult> {
    let downstream: Promise<ToolResult> | undefined;
    const tracked: NextStage = (forwarded) => {
      downstream = next(forwarded);
      return downstream;
    };
    try {
      return await this.#stage.handle(call, tracked);
    } catch (error) {
      if (downstream === undefined) {
        reportOnce(`in-process stage "${this.name}"`, error);
        return next(call);
      }
      // The stage had handed the call on: the handler's own outcome is what the app gets.
      let result: ToolResult;
      try {
        result = await downstream;
      } catch (own) {
        if (own !== error) reportOnce(`in-process stage "${this.name}"`, error);
        throw own;
      }
      reportOnce(`in-process stage "${this.name}"`, error);
      return result;
    }
  }
}
