import type {
  LocalizationData,
  NegationTableData,
  PooledEffect,
  PooledNegationRow,
  ProtocolReport,
  ReportSeed,
  RewardSimilarityResult,
  SuccessFigure,
  SuperpositionData,
} from '../contract-protocol';
import {
  headlineAlpha,
  methodRow,
  NEGATION_METHOD_LABELS,
  NEGATION_TABLE_METHODS,
} from '../negation-verdict';
import { pooledLocalizationCsv } from './localization-tables';
import { intervalColumns, tableToCsv, type TableColumn } from './table';

/**
 * The protocol's tables, declared once for the app's CSV buttons and the report's CSV files: one
 * line per row of every replication seed given (the app passes the seed on screen, the report all
 * of them), so the two exports of the same data are the same file.
 */

type Seeded<Row> = { seed: number; row: Row };

function seeded<Row>(
  seeds: readonly ReportSeed[],
  rowsOf: (seed: ReportSeed) => readonly Row[],
): Seeded<Row>[] {
  return seeds.flatMap((seed) => rowsOf(seed).map((row) => ({ seed: seed.seed, row })));
}

const seedColumn = { name: 'seed', cell: (r: Seeded<unknown>) => r.seed };

const SUCCESS_COLUMNS: TableColumn<Seeded<SuccessFigure>>[] = [
  seedColumn,
  { name: 'subject', cell: (r) => r.row.subject },
  { name: 'reward', cell: (r) => r.row.reward },
  { name: 'checkpoint', cell: (r) => r.row.checkpointId },
  ...intervalColumns<Seeded<SuccessFigure>>('success', (r) => r.row.success),
  ...intervalColumns<Seeded<SuccessFigure>>('mean_return', (r) => r.row.meanReturn),
];

type NegationRow = NegationTableData['rows'][number];
const NEGATION_COLUMNS: TableColumn<Seeded<NegationRow>>[] = [
  seedColumn,
  { name: 'rb', cell: (r) => r.row.rb },
  { name: 'variant', cell: (r) => r.row.variant },
  { name: 'alpha', cell: (r) => r.row.alpha },
  { name: 'checkpoint', cell: (r) => r.row.checkpointId },
  { name: 'recovered_checkpoint', cell: (r) => r.row.recoveredCheckpointId },
  ...intervalColumns<Seeded<NegationRow>>('p_target_before', (r) => r.row.before.targetCollect),
  ...intervalColumns<Seeded<NegationRow>>('p_target_after', (r) => r.row.after.targetCollect),
  ...intervalColumns<Seeded<NegationRow>>('ra_return_after', (r) => r.row.after.raReturn),
  ...intervalColumns<Seeded<NegationRow>>('d_p_target_vs_control', (r) => r.row.afterVsControl.targetCollect),
  ...intervalColumns<Seeded<NegationRow>>('d_p_target_vs_random', (r) => r.row.afterVsRandom?.targetCollect),
  ...intervalColumns<Seeded<NegationRow>>('d_ra_return_vs_control', (r) => r.row.afterVsControl.raReturn),
];

type ConcentrationRow = SuperpositionData['maps'][number]['concentration'][number] & { map: string };
const CONCENTRATION_COLUMNS: TableColumn<Seeded<ConcentrationRow>>[] = [
  seedColumn,
  { name: 'map', cell: (r) => r.row.map },
  { name: 'tensor', cell: (r) => r.row.tensor },
  { name: 'count', cell: (r) => r.row.count },
  { name: 'size_share', cell: (r) => r.row.sizeShare },
  { name: 'share', cell: (r) => r.row.share },
  { name: 'mean_abs', cell: (r) => r.row.meanAbs },
];

type LocalizationRow = LocalizationData['rows'][number];
const LOCALIZATION_COLUMNS: TableColumn<Seeded<LocalizationRow>>[] = [
  seedColumn,
  { name: 'selection', cell: (r) => r.row.selection },
  { name: 'k_percent', cell: (r) => r.row.kPercent },
  { name: 'selected', cell: (r) => r.row.selected },
  { name: 'total', cell: (r) => r.row.total },
  { name: 'checkpoint', cell: (r) => r.row.checkpointId },
  ...intervalColumns<Seeded<LocalizationRow>>('rb_new_return', (r) => r.row.rbNewReturn),
  ...intervalColumns<Seeded<LocalizationRow>>('gain_over_ma', (r) => r.row.gainOverBase),
  ...intervalColumns<Seeded<LocalizationRow>>('fraction_of_full', (r) => r.row.fractionOfFull),
];

/** One line of the Ilharco-style table: a method's pooled effects for one RB at the headline α. */
export interface NegationMethodRow {
  rb: string;
  method: PooledNegationRow['variant'];
  label: string;
  alpha: number;
  replications: number;
  /** Δ P(target) vs the recovered control (negative = a drop). */
  targetDrop: PooledEffect | null;
  /** RA success of the arm / the control's. */
  raRetention: PooledEffect | null;
  contrast: PooledEffect | null;
  /** Median steps to criterion over the replications that reached it, and how many did. */
  stepsToCriterion: { median: number | null; reached: number; of: number } | null;
}

function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Per RB, per method (−Δᵢ, each control, the positive control) at the headline α: the pooled effects. */
export function negationMethodRows(rows: readonly PooledNegationRow[]): NegationMethodRow[] {
  const rbs = [...new Set(rows.map((r) => r.rb))];
  return rbs.flatMap((rb) => {
    const alpha = headlineAlpha(rows, rb);
    if (alpha === null) return [];
    return NEGATION_TABLE_METHODS.flatMap((method): NegationMethodRow[] => {
      const row = methodRow(rows, rb, method, alpha);
      if (row === undefined) return [];
      const steps = row.stepsToCriterion;
      const reached = (steps ?? []).filter((x): x is number => x !== null);
      return [
        {
          rb,
          method,
          label: NEGATION_METHOD_LABELS[method],
          alpha: row.alpha,
          replications: row.seeds.length,
          targetDrop: row.targetCollectVsControl,
          raRetention: row.raRetention ?? null,
          contrast: row.specificity?.contrast ?? null,
          stepsToCriterion:
            steps === undefined
              ? null
              : { median: median(reached), reached: reached.length, of: steps.length },
        },
      ];
    });
  });
}

const NEGATION_METHOD_COLUMNS: TableColumn<NegationMethodRow>[] = [
  { name: 'rb', cell: (r) => r.rb },
  { name: 'method', cell: (r) => r.method },
  { name: 'alpha', cell: (r) => r.alpha },
  { name: 'replications', cell: (r) => r.replications },
  ...intervalColumns<NegationMethodRow>('d_p_target_vs_control', (r) => r.targetDrop),
  ...intervalColumns<NegationMethodRow>('ra_retention', (r) => r.raRetention),
  ...intervalColumns<NegationMethodRow>('contrast', (r) => r.contrast),
  { name: 'steps_to_criterion_median', cell: (r) => r.stepsToCriterion?.median },
  {
    name: 'recovered',
    cell: (r) =>
      r.stepsToCriterion === null ? undefined : `${r.stepsToCriterion.reached}/${r.stepsToCriterion.of}`,
  },
];

/** The Ilharco-style table as CSV. */
export function negationMethodsCsv(rows: readonly PooledNegationRow[]): string {
  return tableToCsv(NEGATION_METHOD_COLUMNS, negationMethodRows(rows));
}

type SimilarityPair = { a: string; b: string; pearson: number | null; epic: number | null };
const SIMILARITY_COLUMNS: TableColumn<SimilarityPair>[] = [
  { name: 'a', cell: (r) => r.a },
  { name: 'b', cell: (r) => r.b },
  { name: 'pearson', cell: (r) => r.pearson },
  { name: 'epic', cell: (r) => r.epic },
];

/** Success and mean return of each checkpoint on each reward. */
export function successCsv(seeds: readonly ReportSeed[]): string {
  return tableToCsv(
    SUCCESS_COLUMNS,
    seeded(seeds, (s) => s.success),
  );
}

/** One line per derived checkpoint, every interval as estimate/low/high. */
export function negationCsv(seeds: readonly ReportSeed[]): string {
  return tableToCsv(
    NEGATION_COLUMNS,
    seeded(seeds, (s) => s.negation?.rows ?? []),
  );
}

/** Per-tensor concentration of every relevance map, and of the null-drift map ("null-drift"). */
export function concentrationCsv(seeds: readonly ReportSeed[]): string {
  const rowsOf = (data: SuperpositionData | null): ConcentrationRow[] => [
    ...(data?.maps ?? []).flatMap((m) => m.concentration.map((c) => ({ ...c, map: m.aggregator }))),
    ...(data?.nullMap?.concentration ?? []).map((c) => ({ ...c, map: 'null-drift' })),
  ];
  return tableToCsv(
    CONCENTRATION_COLUMNS,
    seeded(seeds, (s) => rowsOf(s.superposition)),
  );
}

/** RB_new return, gain and fraction of the full fine-tune's gain of each masked fine-tune. */
export function localizationCsv(seeds: readonly ReportSeed[]): string {
  return tableToCsv(
    LOCALIZATION_COLUMNS,
    seeded(seeds, (s) => s.localization?.rows ?? []),
  );
}

/** Pearson ρ and EPIC distance of every ordered pair of rewards. */
export function similarityCsv(
  similarity: Pick<RewardSimilarityResult, 'names' | 'pearson' | 'epic'>,
): string {
  const pairs = similarity.names.flatMap((a, i) =>
    similarity.names.map((b, j) => ({
      a,
      b,
      pearson: similarity.pearson[i]?.[j] ?? null,
      epic: similarity.epic[i]?.[j] ?? null,
    })),
  );
  return tableToCsv(SIMILARITY_COLUMNS, pairs);
}

/**
 * The report's tables as CSV files: suffix (e.g. "negation") → content, over all seeds. Tables
 * without a row are left out.
 */
export function reportCsvTables(
  report: Pick<ProtocolReport, 'seeds' | 'similarity'> &
    Partial<Pick<ProtocolReport, 'pooledNegation' | 'pooledLocalization'>>,
): { suffix: string; content: string }[] {
  const tables = [
    { suffix: 'negation-methods', content: negationMethodsCsv(report.pooledNegation ?? []) },
    { suffix: 'localization-pooled', content: pooledLocalizationCsv(report.pooledLocalization ?? null) },
    { suffix: 'success', content: successCsv(report.seeds) },
    { suffix: 'negation', content: negationCsv(report.seeds) },
    { suffix: 'superposition', content: concentrationCsv(report.seeds) },
    { suffix: 'localization', content: localizationCsv(report.seeds) },
    ...(report.similarity === null
      ? []
      : [{ suffix: 'similarity', content: similarityCsv(report.similarity) }]),
  ];
  return tables.filter((table) => table.content.indexOf('\n') < table.content.length - 1);
}
