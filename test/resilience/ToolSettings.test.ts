import { describe, expect, it } from 'vitest';
import {
  type ResilienceConfigInput,
  resilienceConfigSchema,
  resolveServiceBreaker,
  resolveToolSettings,
} from '../../src/resilience/index.js';
import { ref } from './fixtures.js';

const parse = (input: ResilienceConfigInput = {}) => resilienceConfigSchema.parse(input);
const destructive = { destructiveHint: true, idempotentHint: false };

describe('resilienceConfigSchema', () => {
  it('fills every default from an empty section', () => {
    const config = parse();
    expect(config.defaults).toEqual({
      pool: { limit: 8, queueSize: 100, queueTimeoutMs: 10_000, queueOrder: 'adaptive' },
      priority: 0,
      timeoutMs: 30_000,
      retry: { maxAttempts: 3, baseMs: 200, maxMs: 5_000 },
      breaker: {
        enabled: true,
        consecutiveFailures: 5,
        failureRate: 0.5,
        windowMs: 30_000,
        minimumCalls: 10,
        cooldownMs: 15_000,
        halfOpenProbes: 1,
        countToolErrors: true,
      },
      trustAnnotations: true,
    });
    expect(config).toMatchObject({ services: {}, tools: {}, agentPriorities: {} });
  });

  it('refuses impossible values with the path of the field', () => {
    const bad = resilienceConfigSchema.safeParse({ services: { svc: { pool: { limit: 0 } } } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['services', 'svc', 'pool', 'limit']);
  });

  it('refuses tool keys and fallbacks that are not "service/tool"', () => {
    expect(resilienceConfigSchema.safeParse({ tools: { weather: {} } }).success).toBe(false);
    const fallback = resilienceConfigSchema.safeParse({ tools: { 'a/b': { fallback: 'c' } } });
    expect(fallback.error?.issues[0]?.path).toEqual(['tools', 'a/b', 'fallback']);
  });

  it('refuses unknown fields (typos would silently do nothing)', () => {
    expect(resilienceConfigSchema.safeParse({ defaults: { timeout: 5 } }).success).toBe(false);
  });
});

describe('resolveToolSettings', () => {
  it('takes the most specific value, field by field: tool, then service, then defaults', () => {
    const config = parse({
      defaults: { timeoutMs: 1_000, retry: { baseMs: 50 } },
      services: {
        svc: { timeoutMs: 2_000, priority: 3, retry: { maxAttempts: 5 }, breaker: { cooldownMs: 7 } },
      },
      tools: { 'svc/t': { timeoutMs: 3_000, breaker: { halfOpenProbes: 2 } } },
    });
    const t = resolveToolSettings(config, ref('svc', 't'), undefined);
    expect(t.timeoutMs).toBe(3_000);
    expect(t.priority).toBe(3);
    expect(t.retry).toEqual({ maxAttempts: 5, baseMs: 50, maxMs: 5_000 });
    expect(t.toolBreaker).toMatchObject({ cooldownMs: 7, halfOpenProbes: 2 });
    expect(resolveServiceBreaker(config, 'svc')).toMatchObject({ cooldownMs: 7, halfOpenProbes: 1 });
    expect(resolveToolSettings(config, ref('other', 't'), undefined).timeoutMs).toBe(1_000);
  });

  it('uses the service pool unless the tool has a pool section or is exclusive', () => {
    const config = parse({
      services: { svc: { pool: { limit: 4, queueSize: 7 } } },
      tools: { 'svc/own': { pool: { limit: 2 } } },
    });
    expect(resolveToolSettings(config, ref('svc', 'shared'), undefined).pool).toEqual({
      id: 'svc',
      limit: 4,
      queueSize: 7,
      queueTimeoutMs: 10_000,
      queueOrder: 'adaptive',
      exclusive: false,
    });
    expect(resolveToolSettings(config, ref('svc', 'own'), undefined).pool).toEqual({
      id: 'svc/own',
      limit: 2,
      queueSize: 7,
      queueTimeoutMs: 10_000,
      queueOrder: 'adaptive',
      exclusive: false,
    });
  });

  it('makes a tool retryable only when annotated read-only or idempotent, or configured so', () => {
    const config = parse({ tools: { 'svc/forced': { retryable: true }, 'svc/never': { retryable: false } } });
    const retryable = (tool: string, hints?: Record<string, unknown>) =>
      resolveToolSettings(config, ref('svc', tool), hints).retryable;
    expect(retryable('read', { readOnlyHint: true })).toBe(true);
    expect(retryable('idem', { idempotentHint: true })).toBe(true);
    expect(retryable('plain')).toBe(false);
    expect(retryable('write', { readOnlyHint: false, idempotentHint: false })).toBe(false);
    expect(retryable('forced')).toBe(true);
    expect(retryable('never', { readOnlyHint: true })).toBe(false);
  });

  it('makes a tool exclusive by default only when it states destructiveHint: true and idempotentHint: false', () => {
    const config = parse();
    const settings = (hints?: Record<string, unknown>) =>
      resolveToolSettings(config, ref('svc', 't'), hints).pool;
    expect(settings(destructive)).toMatchObject({ id: 'svc/t', limit: 1, exclusive: true });
    // Absent hints mean "destructive, not idempotent" in MCP; that must not serialise every tool.
    expect(settings(undefined).exclusive).toBe(false);
    expect(settings({}).exclusive).toBe(false);
    expect(settings({ destructiveHint: true }).exclusive).toBe(false);
    expect(settings({ destructiveHint: true, idempotentHint: true }).exclusive).toBe(false);
  });

  it('config overrides annotation defaults both ways, and untrusted services get none', () => {
    const config = parse({
      services: { untrusted: { trustAnnotations: false } },
      tools: { 'svc/free': { exclusive: false }, 'svc/locked': { exclusive: true, pool: { limit: 9 } } },
    });
    expect(resolveToolSettings(config, ref('svc', 'free'), destructive).pool.exclusive).toBe(false);
    expect(resolveToolSettings(config, ref('svc', 'locked'), undefined).pool).toMatchObject({
      limit: 1,
      exclusive: true,
    });
    const untrusted = resolveToolSettings(config, ref('untrusted', 't'), {
      ...destructive,
      readOnlyHint: true,
    });
    expect(untrusted.pool.exclusive).toBe(false);
    expect(untrusted.retryable).toBe(false);
  });

  it('clamps a backoff cap below its base', () => {
    const config = parse({ defaults: { retry: { baseMs: 500, maxMs: 100 } } });
    expect(resolveToolSettings(config, ref('svc', 't'), undefined).retry.maxMs).toBe(500);
  });
});
