import { F_ERROR, FEATURE_COUNT, FEATURE_SPECS } from './Features.js';
import type { ToolBaseline } from './ToolBaseline.js';

const D = FEATURE_COUNT;

/**
 * Temporal evidence per feature: each call's robust z-score, clipped to ±`clipZ`
 * (one heavy-tail call moves nothing much), folded into a fast and a slow
 * exponentially weighted average. The fast one catches big shifts within a few
 * calls; the slow one small sustained ones. O(D) a call, no allocation.
 */
export class FeatureEvidence {
  /** The latest call's unclipped z-score per feature (NaN where not informative). */
  readonly z = new Float64Array(D);
  private readonly fast = new Float64Array(D);
  private readonly slow = new Float64Array(D);
  /** Standard deviation of an EWMA of unit-variance i.i.d. inputs: √(α / (2 − α)). */
  private readonly fastNorm: number;
  private readonly slowNorm: number;

  constructor(
    private readonly fastAlpha: number,
    private readonly slowAlpha: number,
    private readonly clipZ: number,
  ) {
    this.fastNorm = Math.sqrt(fastAlpha / (2 - fastAlpha));
    this.slowNorm = Math.sqrt(slowAlpha / (2 - slowAlpha));
  }

  /** Folds the transformed features `x` of a call in, against `b`'s location and scale. */
  update(x: Float64Array, b: ToolBaseline): void {
    const { z, fast, slow, clipZ } = this;
    for (let j = 0; j < D; j++) {
      const v = x[j]!;
      const loc = b.loc[j]!;
      if (j === F_ERROR || Number.isNaN(v) || Number.isNaN(loc)) {
        z[j] = Number.NaN;
        continue;
      }
      const zj = (v - loc) / b.scale[j]!;
      const c = zj > clipZ ? clipZ : Math.max(zj, -clipZ);
      z[j] = zj;
      fast[j] = fast[j]! + this.fastAlpha * (c - fast[j]!);
      slow[j] = slow[j]! + this.slowAlpha * (c - slow[j]!);
    }
  }

  /**
   * Evidence that feature `j` moved in the direction that matters, in standard
   * deviations of its running averages (`zsd` calibrates for the tool's real spread).
   */
  strength(j: number, zsd: number): number {
    const f = this.fast[j]! / (this.fastNorm * zsd);
    const s = this.slow[j]! / (this.slowNorm * zsd);
    const dir = FEATURE_SPECS[j]!.direction;
    if (dir === 1) return Math.max(f, s);
    if (dir === -1) return Math.max(-f, -s);
    return Math.max(Math.abs(f), Math.abs(s));
  }

  reset(): void {
    this.fast.fill(0);
    this.slow.fill(0);
  }
}
