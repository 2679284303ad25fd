import type { CheckpointSummary, RewardSpec, RunSummary } from '@shared';
import { formatCount } from '@shared/charts/number-format';

// The number formats of the chart axes and tooltips live with the option builders (shared with the
// main side's report); re-exported here for the views.
export { formatCompact, formatCount, formatMetricValue } from '@shared/charts/number-format';

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

/** bytes / 1024^k with k the largest unit that keeps the figure ≥ 1, one decimal above bytes. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0)
    throw new RangeError(`formatBytes: bytes must be ≥ 0, got ${bytes}`);
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** ISO timestamp → "2025-01-31 14:05" in local time; the input unchanged if it does not parse. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

/** [484, 256] → "484 × 256"; a scalar's empty shape → "scalar". */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join(' × ');
}

/** Π shape (1 for a scalar). */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

function signed(weight: number): string {
  return weight < 0 ? `−${Math.abs(weight)}` : `+${weight}`;
}

/** The weights of a reward, e.g. "cheese +1 · reach topRight +0.5 · step −0.01". */
export function formatRewardWeights(reward: RewardSpec): string {
  const parts = [
    ...Object.entries(reward.collect).map(([kind, w]) => `${kind} ${signed(w)}`),
    ...Object.entries(reward.reach).map(([region, w]) => `reach ${region} ${signed(w)}`),
  ];
  if (reward.stepCost !== 0) parts.push(`step ${signed(reward.stepCost)}`);
  return parts.length === 0 ? 'no weights' : parts.join(' · ');
}

/** First 12 hex digits of a digest, enough to tell checkpoints apart at a glance. */
export function shortHash(sha256: string): string {
  return sha256.slice(0, 12);
}

/**
 * How a checkpoint came to be, in a few words: "step 43 · trained on RA" for a training checkpoint,
 * "made by weight arithmetic: A - 0.5*(B - A)" for a derived one (it has no training step or reward),
 * "imported from a model file" for an import.
 */
export function checkpointOrigin(
  checkpoint: Pick<CheckpointSummary, 'step' | 'provenance'>,
  run: Pick<RunSummary, 'phase' | 'reward'>,
): string {
  const { provenance } = checkpoint;
  if (provenance.kind === 'arithmetic' || run.phase === 'derived')
    return `made by weight arithmetic: ${provenance.formula ?? provenance.description}`;
  if (provenance.kind === 'import' || run.phase === 'imported') return 'imported from a model file';
  return `step ${formatCount(checkpoint.step)} · trained on ${run.reward.name}`;
}
