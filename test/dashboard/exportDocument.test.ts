import { describe, expect, it } from 'vitest';
import { AnomalyLog, EXPORT_COLUMNS, type ExportDocument, exportToCsv } from '../../src/dashboard/index.js';
import { verdict } from './observation.js';
import { parseCsv } from './parseCsv.js';

describe('exportToCsv', () => {
  it('writes a header and one row per record, each kind named in the record column', () => {
    const anomalies = new AnomalyLog();
    anomalies.onVerdict(
      verdict('storage/fetch_record', Date.parse('2026-01-01T00:00:10Z'), {
        anomaly: true,
        severity: 'critical',
        score: 0.93,
        deviations: [{ feature: 'latency', z: 8, value: 300, typical: 50 }],
        reasons: ['latency 6.0× typical (300 ms vs 50 ms)'],
        recommendations: ['blocked on I/O, check the dependency'],
      }),
    );
    anomalies.onVerdict(verdict('storage/fetch_record', Date.parse('2026-01-01T00:00:20Z')));
    const doc: ExportDocument = {
      exportedAt: Date.parse('2026-01-01T00:01:00Z'),
      since: null,
      instance: { version: '0.1.0', pid: 1, startedAt: 0 },
      tools: [
        {
          key: 'storage/fetch_record',
          service: 'storage',
          tool: 'fetch_record',
          calls: 10,
          errors: 1,
          toolErrors: 1,
          errorTypes: { timeout: 1, tool_error: 1 },
          p50: 50,
          p95: 300.12345,
          p99: 310,
          queueWaitP95: 0,
          percentileCalls: 10,
          cpuMicrosMean: 512.345,
          cpuKind: 'call',
          heapBytesMean: undefined,
        },
      ],
      alerts: [
        {
          id: 'anomaly|storage/fetch_record|1',
          status: 'firing',
          rule: 'anomaly',
          condition: 'anomaly',
          level: 'warning',
          subject: 'storage/fetch_record',
          service: 'storage',
          tool: 'fetch_record',
          time: Date.parse('2026-01-01T00:00:11Z'),
          since: Date.parse('2026-01-01T00:00:10Z'),
          value: 0.93,
          threshold: 0.5,
          summary: 'storage/fetch_record behaves anomalously, "badly"',
          suppressed: 0,
        },
      ],
      anomalies: anomalies.episodes(),
      decisions: [
        {
          time: Date.parse('2026-01-01T00:00:12Z'),
          poolId: 'storage',
          previousLimit: 16,
          newLimit: 8,
          direction: 'down',
          reason: 'capacity_drop',
          applied: true,
          message: 'storage: 16 → 8 (capacity_drop)',
        },
      ],
    };
    const rows = parseCsv(exportToCsv(doc));
    expect(rows[0]).toEqual([...EXPORT_COLUMNS]);
    expect(rows.slice(1).map((row) => row[0])).toEqual([
      'tool_summary',
      'alert',
      'anomaly',
      'tuning_decision',
    ]);
    for (const row of rows) expect(row).toHaveLength(EXPORT_COLUMNS.length);
    const cell = (row: number, column: (typeof EXPORT_COLUMNS)[number]) =>
      rows[row]![EXPORT_COLUMNS.indexOf(column)];
    expect(cell(1, 'p95_ms')).toBe('300.123');
    expect(cell(1, 'error_rate')).toBe('0.2');
    expect(cell(1, 'heap_bytes_per_call')).toBe('');
    expect(cell(2, 'summary')).toBe('storage/fetch_record behaves anomalously, "badly"');
    expect(cell(3, 'time')).toBe('2026-01-01T00:00:10.000Z');
    expect(cell(3, 'end')).toBe('2026-01-01T00:00:20.000Z');
    expect(cell(3, 'reason')).toBe('latency');
    expect(cell(3, 'recommendation')).toBe('blocked on I/O, check the dependency');
    expect(cell(4, 'new_limit')).toBe('8');
    expect(cell(4, 'status')).toBe('applied');
  });
});
