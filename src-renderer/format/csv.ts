/** RFC 4180 field: quoted (with "" for ") when it holds a comma, quote or line break. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A header line and one line per row; numbers at full precision, null and non-finite as blanks. */
export function toCsv(
  header: readonly string[],
  rows: readonly (readonly (string | number | null)[])[],
): string {
  for (const [i, row] of rows.entries()) {
    if (row.length !== header.length) {
      throw new RangeError(`toCsv: row ${i} has ${row.length} fields but the header has ${header.length}`);
    }
  }
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\n') + '\n';
}
