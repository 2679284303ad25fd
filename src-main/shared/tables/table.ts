import { toCsv, type CsvCell } from './csv';

/**
 * A table declared once: its columns (name + how a row gives the cell). The CSV export, and any
 * other rendering of the table, derive from the same declaration, so they cannot drift apart.
 */
export interface TableColumn<Row> {
  readonly name: string;
  readonly cell: (row: Row) => CsvCell;
}

export type Interval = { estimate: number; low: number; high: number };

/** Three columns `<name>`, `<name>_low`, `<name>_high` for an interval (blank when it is missing). */
export function intervalColumns<Row>(
  name: string,
  pick: (row: Row) => Interval | null | undefined,
): TableColumn<Row>[] {
  return [
    { name, cell: (row) => pick(row)?.estimate },
    { name: `${name}_low`, cell: (row) => pick(row)?.low },
    { name: `${name}_high`, cell: (row) => pick(row)?.high },
  ];
}

/** The table as CSV: a header of the column names and one line per row. */
export function tableToCsv<Row>(columns: readonly TableColumn<Row>[], rows: readonly Row[]): string {
  return toCsv(
    columns.map((column) => column.name),
    rows.map((row) => columns.map((column) => column.cell(row))),
  );
}
