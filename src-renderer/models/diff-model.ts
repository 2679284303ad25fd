import type { TensorDiffPayload } from '@shared/contract-weights';
import { toCsv } from '@shared/tables/csv';
import { formatCount, formatMetricValue, formatShape } from '../format/display-format';

/** The per-tensor table of a diff: its columns, their order, sorting and CSV. */

export type DiffColumnKey =
  | 'name'
  | 'shape'
  | 'params'
  | 'l2'
  | 'relativeL2'
  | 'maxAbs'
  | 'mean'
  | 'std'
  | 'fractionAboveEpsilon'
  | 'cosine'
  | 'signFlips';

export interface DiffColumn {
  key: DiffColumnKey;
  /** Header text. */
  label: string;
  /** What the figure is, for the header's tooltip and the bar chart's axis. */
  description: string;
  numeric: boolean;
  /** Whether the bar chart offers it. */
  chartable: boolean;
  value(tensor: TensorDiffPayload): number | string | null;
}

const stat = (tensor: TensorDiffPayload) => tensor.stats;

export const DIFF_COLUMNS: readonly DiffColumn[] = [
  {
    key: 'name',
    label: 'Tensor',
    description: 'Parameter name',
    numeric: false,
    chartable: false,
    value: (t) => t.name,
  },
  {
    key: 'shape',
    label: 'Shape',
    description: 'Tensor shape',
    numeric: false,
    chartable: false,
    value: (t) => formatShape(t.shape),
  },
  {
    key: 'params',
    label: 'Params',
    description: 'Number of parameters',
    numeric: true,
    chartable: true,
    value: (t) => t.shape.reduce((a, b) => a * b, 1),
  },
  {
    key: 'l2',
    label: '‖Δ‖₂',
    description: 'L2 norm of Δ = B − A',
    numeric: true,
    chartable: true,
    value: (t) => stat(t).l2,
  },
  {
    key: 'relativeL2',
    label: '‖Δ‖/‖A‖',
    description: 'Relative change: ‖Δ‖₂ / ‖A‖₂',
    numeric: true,
    chartable: true,
    value: (t) => stat(t).relativeL2,
  },
  {
    key: 'maxAbs',
    label: 'max|Δ|',
    description: 'Largest |Δ|',
    numeric: true,
    chartable: true,
    value: (t) => stat(t).maxAbs,
  },
  {
    key: 'mean',
    label: 'mean',
    description: 'Mean of Δ',
    numeric: true,
    chartable: true,
    value: (t) => stat(t).mean,
  },
  {
    key: 'std',
    label: 'std',
    description: 'Standard deviation of Δ',
    numeric: true,
    chartable: true,
    value: (t) => stat(t).std,
  },
  {
    key: 'fractionAboveEpsilon',
    label: 'frac>ε',
    description: 'Share of parameters with |Δ| > ε',
    numeric: true,
    chartable: true,
    value: (t) => stat(t).fractionAboveEpsilon,
  },
  {
    key: 'cosine',
    label: 'cos(A,B)',
    description: 'Cosine similarity of A and B',
    numeric: true,
    chartable: true,
    value: (t) => stat(t).cosine,
  },
  {
    key: 'signFlips',
    label: 'sign flips',
    description: 'Parameters whose sign differs between A and B',
    numeric: true,
    chartable: true,
    value: (t) => stat(t).signFlips,
  },
];

export const CHART_COLUMNS = DIFF_COLUMNS.filter((column) => column.chartable);

export function diffColumn(key: DiffColumnKey): DiffColumn {
  const column = DIFF_COLUMNS.find((c) => c.key === key);
  if (column === undefined) throw new RangeError(`diffColumn: unknown column "${key}"`);
  return column;
}

export type SortDirection = 'asc' | 'desc';

/** A new array sorted by the column; missing figures (null, NaN) always last, ties by name. */
export function sortTensors(
  tensors: readonly TensorDiffPayload[],
  key: DiffColumnKey,
  direction: SortDirection,
): TensorDiffPayload[] {
  const column = diffColumn(key);
  const sign = direction === 'asc' ? 1 : -1;
  const missing = (v: number | string | null): boolean =>
    v === null || (typeof v === 'number' && Number.isNaN(v));
  return [...tensors].sort((a, b) => {
    const va = column.value(a);
    const vb = column.value(b);
    if (missing(va) || missing(vb))
      return missing(va) === missing(vb) ? a.name.localeCompare(b.name) : missing(va) ? 1 : -1;
    const order =
      typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb));
    return order === 0 ? a.name.localeCompare(b.name) : sign * order;
  });
}

/** A cell's text: counts with separators, shares as %, other figures with 4 significant digits. */
export function formatDiffCell(column: DiffColumn, tensor: TensorDiffPayload): string {
  const value = column.value(tensor);
  if (value === null) return '—';
  if (typeof value === 'string') return value;
  if (column.key === 'params') return formatCount(value);
  if (column.key === 'signFlips') {
    return `${formatCount(value)} (${formatPercent(tensor.stats.signFlipFraction)})`;
  }
  if (column.key === 'fractionAboveEpsilon') return formatPercent(value);
  return formatMetricValue(value);
}

/** 0.1234 → "12.3%"; tiny non-zero shares keep two significant digits. */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '—';
  const percent = fraction * 100;
  if (percent === 0) return '0%';
  if (Math.abs(percent) < 0.1) return `${Number(percent.toPrecision(2))}%`;
  return `${percent.toFixed(1)}%`;
}

/** The table as CSV with every figure at full precision (plus counts the table folds into cells). */
export function diffTableCsv(tensors: readonly TensorDiffPayload[], epsilon: number): string {
  const header = [
    'tensor',
    'shape',
    'params',
    'l2',
    'relative_l2',
    'max_abs',
    'mean',
    'std',
    `fraction_above_${epsilon}`,
    'cosine_ab',
    'sign_flips',
    'sign_flip_fraction',
    'share_of_change',
    'norm_a',
    'norm_b',
    'non_finite',
  ];
  const rows = tensors.map((t) => [
    t.name,
    `[${t.shape.join(', ')}]`,
    t.shape.reduce((a, b) => a * b, 1),
    t.stats.l2,
    t.stats.relativeL2,
    t.stats.maxAbs,
    t.stats.mean,
    t.stats.std,
    t.stats.fractionAboveEpsilon,
    t.stats.cosine,
    t.stats.signFlips,
    t.stats.signFlipFraction,
    t.shareOfChange,
    t.stats.normA,
    t.stats.normB,
    t.stats.nonFinite,
  ]);
  return toCsv(header, rows);
}
