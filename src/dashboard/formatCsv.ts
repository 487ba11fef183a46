/** A CSV cell: numbers and booleans are written as is, `null`/`undefined` as an empty cell. */
export type CsvCell = string | number | boolean | null | undefined;

// Text a spreadsheet would run as a formula (CSV injection): =, +, -, @, tab, CR.
const FORMULA_START = /^[=+\-@\t\r]/;

function cell(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  // Tool names and summaries come from upstreams: never let one become a formula.
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * RFC 4180 CSV: a header line, one line per row, CRLF line ends, fields with
 * commas, quotes or line breaks quoted. Text that starts like a formula gets a
 * leading `'`, so opening an export never runs anything.
 */
export function formatCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  const lines = [header.map(cell).join(',')];
  for (const row of rows) lines.push(header.map((_, i) => cell(row[i])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
