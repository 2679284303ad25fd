import type { PooledLocalization } from '../contract-protocol';
import { pooledLocalizationRows } from '../tables/localization-tables';
import type { ForestRow } from './interval-forest-options';

/** Mask kinds' fractions; a paired difference that beats 0; one that does not. */
export const FOREST_COLORS = { fraction: '#4e79a7', beats: '#059669', fails: '#d97706' } as const;

/**
 * The forest rows of the pooled localization test at one k (the rows of shared/tables'
 * pooledLocalizationRows): each mask kind's fraction of its replication's own full gain, then each
 * paired top − X, coloured by whether its interval lies above 0. Every value is a fraction of dᵣ.
 */
export function pooledLocalizationForest(pooled: PooledLocalization | null, kPercent: number): ForestRow[] {
  return pooledLocalizationRows(pooled)
    .filter((r) => r.kPercent === kPercent)
    .map((r) => ({
      label: r.label,
      estimate: r.effect.estimate,
      low: r.effect.low,
      high: r.effect.high,
      perReplication: r.effect.perReplication,
      color:
        r.measure === 'fraction'
          ? FOREST_COLORS.fraction
          : r.status === 'beats'
            ? FOREST_COLORS.beats
            : FOREST_COLORS.fails,
    }));
}
