import type { PooledEffect, PooledLocalization } from '../contract-protocol';
import { LOCALIZATION_COMPARISON_LABELS, statusOf, type ComparisonStatus } from '../localization-verdict';
import { intervalColumns, tableToCsv, type TableColumn } from './table';

/**
 * The pooled localization table, declared once for the app's table and CSV button, the HTML report's
 * table and forest plot, and the report's `localization-pooled` CSV: per k, each mask kind's fraction
 * of its replication's own full gain and each paired top − X, pooled across replications.
 */

export interface PooledLocalizationRow {
  kPercent: number;
  /** `fraction`: (x̄ − MĀ)/dᵣ of one mask kind; `paired`: (top − X)/dᵣ. */
  measure: 'fraction' | 'paired';
  /** The selection (fraction) or the comparison (paired). */
  of: string;
  label: string;
  seeds: number[];
  effect: PooledEffect;
  /** Paired rows: where the interval lies (beats = replicated and wholly above 0). */
  status: ComparisonStatus | null;
}

const SELECTION_LABELS: Record<string, string> = {
  top: 'top k % (the map)',
  random: 'random k % (mean of the draws)',
  bottom: 'bottom k % (the map)',
  'null-drift': 'null-drift map top k %',
  saliency: 'gradient-saliency top k %',
  fisher: 'Fisher top k %',
};

/** Every pooled row, k by k: the fractions, then the paired differences. */
export function pooledLocalizationRows(pooled: PooledLocalization | null): PooledLocalizationRow[] {
  if (pooled === null) return [];
  return pooled.ks.flatMap((k) => [
    ...k.fractions.map((f): PooledLocalizationRow => ({
      kPercent: k.kPercent,
      measure: 'fraction',
      of: f.selection,
      label: SELECTION_LABELS[f.selection] ?? f.selection,
      seeds: f.seeds,
      effect: f.effect,
      status: null,
    })),
    ...k.paired.map((p): PooledLocalizationRow => ({
      kPercent: k.kPercent,
      measure: 'paired',
      of: p.versus,
      label: `top − ${LOCALIZATION_COMPARISON_LABELS[p.versus]}`,
      seeds: p.seeds,
      effect: p.effect,
      status: statusOf(p.effect),
    })),
  ]);
}

const COLUMNS: TableColumn<PooledLocalizationRow>[] = [
  { name: 'k_percent', cell: (r) => r.kPercent },
  { name: 'measure', cell: (r) => r.measure },
  { name: 'of', cell: (r) => r.of },
  { name: 'replications', cell: (r) => r.effect.replications },
  { name: 'pooling', cell: (r) => r.effect.method },
  ...intervalColumns<PooledLocalizationRow>('fraction_of_full_gain', (r) => r.effect),
  { name: 'seeds', cell: (r) => r.seeds.join(' ') },
  { name: 'per_replication', cell: (r) => r.effect.perReplication.join(' ') },
  { name: 'status', cell: (r) => r.status ?? undefined },
];

/** The pooled localization table as CSV (empty but for the header without a pooled test). */
export function pooledLocalizationCsv(pooled: PooledLocalization | null): string {
  return tableToCsv(COLUMNS, pooledLocalizationRows(pooled));
}
