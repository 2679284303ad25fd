/** One CSV cell: text, a number, or nothing (null, undefined and non-finite numbers are blanks). */
export type CsvCell = string | number | null | undefined;

/** RFC 4180 field: quoted (with "" for ") when it holds a comma, quote or line break (\n or \r). */
export function csvField(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A header line and one line per row; numbers at full precision, null and non-finite as blanks. */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  for (const [i, row] of rows.entries()) {
    if (row.length !== header.length) {
      throw new RangeError(`toCsv: row ${i} has ${row.length} fields but the header has ${header.length}`);
    }
  }
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\n') + '\n';
}
