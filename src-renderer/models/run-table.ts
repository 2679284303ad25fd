import type { RunNode } from '@shared';

/**
 * The run table: one row per run with what tells runs apart (α, arm, RB, seed, read from the
 * protocol's stable run names `s1/derive/coin/negate/0.5/recover`) and final metrics, sortable by
 * any column.
 */

/** The final metrics the table shows, by column id. */
export const RUN_TABLE_METRICS = {
  return: 'charts/episodic_return',
  success: 'charts/success',
} as const;
export type RunTableMetric = keyof typeof RUN_TABLE_METRICS;

export interface RunConfig {
  /** What the run is in the protocol: "finetune", "null", "negate", "localize top 10 %", … */
  arm: string | null;
  /** The reward B the run belongs to (a fine-tune's reward, a derived point's RB). */
  rb: string | null;
  /** The step size α of a derived point's recovery. */
  alpha: number | null;
}

/**
 * What a run's name says about it. Protocol run names are node ids (protocol/job-graph.ts nodeIds):
 * `s{n}/finetune/{rb}`, `s{n}/null/{k}`, `s{n}/derive/{rb}/{variant}/{α}/recover`,
 * `s{n}/control/recover`, `s{n}/localize/{selection}/{k}`, `s{n}/localize/full`, `s{n}/pretrain`.
 * Other runs: a fine-tune's RB is its reward.
 */
export function runConfig(run: Pick<RunNode, 'name' | 'phase' | 'reward'>): RunConfig {
  const parts = run.name.split('/');
  const protocol = /^s\d+$/.test(parts[0] ?? '');
  if (protocol) {
    const [, kind, a, b, c] = parts;
    if (kind === 'pretrain') return { arm: 'pretrain', rb: null, alpha: null };
    if (kind === 'finetune' && a !== undefined) return { arm: 'finetune', rb: a, alpha: null };
    if (kind === 'null') return { arm: 'null control', rb: null, alpha: null };
    if (kind === 'control') return { arm: 'control', rb: null, alpha: 0 };
    if (kind === 'derive' && a !== undefined && b !== undefined) {
      const alpha = c === undefined ? Number.NaN : Number(c);
      return { arm: b, rb: a, alpha: Number.isFinite(alpha) ? alpha : null };
    }
    if (kind === 'localize' && a === 'full')
      return { arm: 'localize full', rb: run.reward.name, alpha: null };
    if (kind === 'localize' && a !== undefined) {
      return { arm: `localize ${a}${b === undefined ? '' : ` ${b} %`}`, rb: run.reward.name, alpha: null };
    }
  }
  return { arm: run.phase, rb: run.phase === 'finetune' ? run.reward.name : null, alpha: null };
}

export interface RunTableRow {
  run: RunNode;
  config: RunConfig;
  final: Partial<Record<RunTableMetric, number>>;
}

export type RunTableColumn = 'name' | 'alpha' | 'arm' | 'rb' | 'seed' | 'lastStep' | RunTableMetric;
export const RUN_TABLE_COLUMNS: readonly {
  id: RunTableColumn;
  label: string;
  numeric: boolean;
  title: string;
}[] = [
  { id: 'name', label: 'Run', numeric: false, title: 'Run name' },
  { id: 'arm', label: 'Arm', numeric: false, title: 'What the run is in the protocol (variant, control, …)' },
  { id: 'rb', label: 'RB', numeric: false, title: 'The reward B the run belongs to' },
  { id: 'alpha', label: 'α', numeric: true, title: 'Step size of the derived point the run recovers from' },
  { id: 'seed', label: 'Seed', numeric: true, title: 'Training seed' },
  { id: 'lastStep', label: 'Last step', numeric: true, title: 'Environment steps trained' },
  { id: 'return', label: 'Final return', numeric: true, title: `Last ${RUN_TABLE_METRICS.return}` },
  { id: 'success', label: 'Final success', numeric: true, title: `Last ${RUN_TABLE_METRICS.success}` },
];

export interface RunTableSort {
  column: RunTableColumn;
  descending: boolean;
}

function cell(row: RunTableRow, column: RunTableColumn): string | number | null {
  switch (column) {
    case 'name':
      return row.run.name;
    case 'alpha':
      return row.config.alpha;
    case 'arm':
      return row.config.arm;
    case 'rb':
      return row.config.rb;
    case 'seed':
      return row.run.seed;
    case 'lastStep':
      return row.run.lastStep;
    default:
      return row.final[column] ?? null;
  }
}

/** The rows sorted by one column; empty cells last in either direction, ties by run id. */
export function sortRunRows(rows: readonly RunTableRow[], sort: RunTableSort): RunTableRow[] {
  const sign = sort.descending ? -1 : 1;
  return [...rows].sort((x, y) => {
    const a = cell(x, sort.column);
    const b = cell(y, sort.column);
    if (a === null || b === null) return a === b ? x.run.id - y.run.id : a === null ? 1 : -1;
    const order =
      typeof a === 'number' && typeof b === 'number'
        ? a - b
        : String(a).localeCompare(String(b), undefined, { numeric: true });
    return order === 0 ? x.run.id - y.run.id : sign * order;
  });
}

/** Clicking a header: the same column flips its direction; another sorts ascending (metrics descending). */
export function nextSort(current: RunTableSort, column: RunTableColumn): RunTableSort {
  if (current.column === column) return { column, descending: !current.descending };
  return { column, descending: column === 'return' || column === 'success' };
}
