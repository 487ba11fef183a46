import { existsSync, readdirSync, readFileSync } from 'node:fs';
import {
  childrenIndex,
  descendants,
  inferPageSize,
  type ProcStat,
  parseChildren,
  parseProcStat,
} from './procfs.js';

/** Reads process figures from the OS. The Linux implementation reads /proc; tests substitute their own. */
export interface ProcReader {
  /** Whether this platform can be read at all. */
  readonly supported: boolean;
  /** Bytes per RSS page. */
  readonly pageSize: number;
  /** One process's stat, or `undefined` when it is gone. */
  stat(pid: number): ProcStat | undefined;
  /** The roots and all their live descendants. */
  tree(roots: readonly number[]): number[];
}

/**
 * /proc reader. Descendants come from `/proc/<pid>/task/<tid>/children` (cheap,
 * CONFIG_PROC_CHILDREN); without it, one scan of every `/proc/<pid>/stat` builds a
 * parent index. Synchronous on purpose: procfs reads do not touch a disk and cost
 * microseconds, and the sampler calls this off the hot path or rate-limited.
 */
export class LinuxProcReader implements ProcReader {
  readonly supported: boolean;
  readonly pageSize: number;
  private readonly childrenFiles: boolean;

  constructor(private readonly root = '/proc') {
    this.supported = process.platform === 'linux' && this.stat(process.pid) !== undefined;
    const self = this.supported ? this.stat(process.pid) : undefined;
    this.pageSize = inferPageSize(process.memoryUsage.rss(), self?.rssPages ?? 0);
    this.childrenFiles = existsSync(`${root}/${process.pid}/task/${process.pid}/children`);
  }

  stat(pid: number): ProcStat | undefined {
    try {
      return parseProcStat(readFileSync(`${this.root}/${pid}/stat`, 'latin1'));
    } catch {
      return undefined;
    }
  }

  tree(roots: readonly number[]): number[] {
    if (this.childrenFiles) return descendants(roots, (pid) => this.childrenOf(pid));
    const index = childrenIndex(this.allStats());
    return descendants(roots, (pid) => index.get(pid) ?? []).filter((pid) => this.stat(pid) !== undefined);
  }

  private childrenOf(pid: number): number[] {
    let tids: string[];
    try {
      tids = readdirSync(`${this.root}/${pid}/task`);
    } catch {
      return []; // the process is gone
    }
    const out: number[] = [];
    for (const tid of tids) {
      try {
        out.push(...parseChildren(readFileSync(`${this.root}/${pid}/task/${tid}/children`, 'latin1')));
      } catch {
        // The thread exited between readdir and read.
      }
    }
    return out;
  }

  private allStats(): ProcStat[] {
    const out: ProcStat[] = [];
    for (const name of readdirSync(this.root)) {
      if (!/^\d+$/.test(name)) continue;
      const stat = this.stat(Number(name));
      if (stat) out.push(stat);
    }
    return out;
  }
}
