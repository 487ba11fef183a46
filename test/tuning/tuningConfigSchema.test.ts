import { describe, expect, it } from 'vitest';
import { resolvePoolTuning, tuningConfigSchema } from '../../src/tuning/index.js';

describe('tuningConfigSchema', () => {
  it('fills in defaults: enabled, not dry-run, 100 ms ticks', () => {
    expect(tuningConfigSchema.parse({})).toMatchObject({
      enabled: true,
      dryRun: false,
      intervalMs: 100,
      pools: {},
    });
  });

  it('refuses min above max, naming the field', () => {
    const result = tuningConfigSchema.safeParse({ pools: { svc: { min: 9, max: 4 } } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['pools', 'svc', 'min']);
  });

  it('refuses an initial limit outside [min, max], naming the field', () => {
    const result = tuningConfigSchema.safeParse({ defaults: { min: 2, max: 8, initial: 20 } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['defaults', 'initial']);
  });

  it('refuses unknown fields', () => {
    expect(tuningConfigSchema.safeParse({ pools: { svc: { maximum: 4 } } }).success).toBe(false);
  });

  it('resolves a pool field by field: its own entry, then its service, then defaults', () => {
    const config = tuningConfigSchema.parse({
      defaults: { min: 2, max: 64 },
      pools: { svc: { max: 32, dryRun: true }, 'svc/heavy': { initial: 4, inProcess: true } },
    });
    expect(resolvePoolTuning(config, 'svc/heavy')).toEqual({
      enabled: true,
      dryRun: true,
      min: 2,
      max: 32,
      initial: 4,
      inProcess: true,
    });
    expect(resolvePoolTuning(config, 'other')).toMatchObject({
      min: 2,
      max: 64,
      dryRun: false,
      initial: undefined,
    });
  });

  it('turns every pool off or to dry-run from the top level', () => {
    const off = tuningConfigSchema.parse({ enabled: false, pools: { svc: { enabled: true } } });
    expect(resolvePoolTuning(off, 'svc').enabled).toBe(false);
    const dry = tuningConfigSchema.parse({ dryRun: true, pools: { svc: { dryRun: false } } });
    expect(resolvePoolTuning(dry, 'svc').dryRun).toBe(true);
  });
});
