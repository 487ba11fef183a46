import { describe, expect, it } from 'vitest';
import { formatCsv } from '../../src/dashboard/index.js';
import { parseCsv } from './parseCsv.js';

describe('formatCsv', () => {
  it('writes a header and one CRLF line per row, empty cells for missing values', () => {
    const csv = formatCsv(
      ['a', 'b', 'c'],
      [
        [1, true, null],
        ['x', undefined, Number.NaN],
      ],
    );
    expect(csv).toBe('a,b,c\r\n1,true,\r\nx,,\r\n');
  });

  it('quotes commas, quotes and line breaks so every record stays one row', () => {
    const rows = parseCsv(formatCsv(['text'], [['a, b'], ['say "hi"'], ['two\nlines']]));
    expect(rows).toEqual([['text'], ['a, b'], ['say "hi"'], ['two\nlines']]);
  });

  it('never lets upstream text become a spreadsheet formula', () => {
    const rows = parseCsv(formatCsv(['name'], [['=HYPERLINK("x")'], ['+1'], ['-2'], ['@sum'], ['plain']]));
    expect(rows.slice(1).map(([cell]) => cell)).toEqual([
      '\'=HYPERLINK("x")',
      "'+1",
      "'-2",
      "'@sum",
      'plain',
    ]);
    // Numbers are numbers, negative ones included.
    expect(formatCsv(['n'], [[-2.5]])).toBe('n\r\n-2.5\r\n');
  });
});
