import type { CheckpointSummary, ExperimentNode, RunNode } from '@shared';
import type { CheckpointRef } from '@shared/contract-weights';
import { DELTA_PHASES, deltaPhaseOf, type DeltaPhase } from './delta-phases';
import { buildTreeIndex, type TreeIndex } from './runs-tree-model';

/** Naming and picking the two sides of a diff: stored checkpoints, model files on disk, relevance maps. */

/** "c:12", "f:/data/model.safetensors" or "m:3": equal keys name the same side. */
export function refKey(ref: CheckpointRef): string {
  if ('checkpointId' in ref) return `c:${ref.checkpointId}`;
  return 'artifactId' in ref ? `m:${ref.artifactId}` : `f:${ref.file}`;
}

/** The last path segment of a file path (either separator). */
export function fileBaseName(path: string): string {
  return (
    path
      .split(/[\\/]/)
      .filter((part) => part !== '')
      .pop() ?? path
  );
}

/** "coin / coin @ 200704" for a checkpoint of the tree, the file name for a file. */
export function refLabel(ref: CheckpointRef, index: TreeIndex): string {
  if ('file' in ref) return fileBaseName(ref.file);
  if ('artifactId' in ref) return `relevance map ${ref.artifactId}`;
  const entry = index.checkpoints.get(ref.checkpointId);
  return entry === undefined
    ? `checkpoint ${ref.checkpointId}`
    : `${entry.run.name} / ${entry.checkpoint.label}`;
}

export interface CheckpointChoice {
  id: number;
  checkpoint: CheckpointSummary;
  run: RunNode;
  experiment: ExperimentNode;
  /** "experiment / run / label": what a picker shows and filters on. */
  text: string;
}

/** Every checkpoint of the tree in tree order, for a picker. */
export function checkpointChoices(tree: readonly ExperimentNode[]): CheckpointChoice[] {
  const choices: CheckpointChoice[] = [];
  for (const experiment of tree) {
    for (const run of experiment.runs) {
      for (const checkpoint of run.checkpoints) {
        choices.push({
          id: checkpoint.id,
          checkpoint,
          run,
          experiment,
          text: `${experiment.name} / ${run.name} / ${checkpoint.label}`,
        });
      }
    }
  }
  return choices;
}

/** Choices whose text holds every space-separated word of `query` (case-insensitive). */
export function filterChoices(choices: readonly CheckpointChoice[], query: string): CheckpointChoice[] {
  const words = query
    .toLowerCase()
    .split(/\s+/)
    .filter((word) => word !== '');
  if (words.length === 0) return [...choices];
  return choices.filter((choice) => {
    const text = choice.text.toLowerCase();
    return words.every((word) => text.includes(word));
  });
}

/** The latest checkpoint (by step, then id) of a run, or null. */
function lastCheckpoint(run: RunNode): CheckpointSummary | null {
  let best: CheckpointSummary | null = null;
  for (const checkpoint of run.checkpoints) {
    if (
      best === null ||
      checkpoint.step > best.step ||
      (checkpoint.step === best.step && checkpoint.id > best.id)
    )
      best = checkpoint;
  }
  return best;
}

/**
 * What "compare deltas against A" starts with: B, plus the last checkpoint of every fine-tune run
 * started from A (not its null controls, derived points or localization runs), each once.
 */
export function defaultCompareTargets(
  tree: readonly ExperimentNode[],
  a: CheckpointRef,
  b: CheckpointRef,
): CheckpointRef[] {
  const targets: CheckpointRef[] = [b];
  if (!('checkpointId' in a)) return targets;
  const index = buildTreeIndex(tree);
  const base = index.checkpoints.get(a.checkpointId);
  if (base === undefined) return targets;
  const seen = new Set([refKey(a), refKey(b)]);
  for (const run of base.experiment.runs) {
    if (run.parentCheckpointId !== a.checkpointId || deltaPhaseOf(run) !== 'finetune') continue;
    const last = lastCheckpoint(run);
    if (last === null) continue;
    const ref = { checkpointId: last.id };
    if (seen.has(refKey(ref))) continue;
    seen.add(refKey(ref));
    targets.push(ref);
  }
  return targets;
}

export interface DeltaGroup {
  phase: DeltaPhase;
  label: string;
  hint: string;
  choices: CheckpointChoice[];
}

/** The checkpoints that are deltas of `baseId`: the last of each run started from it, every derived point. */
function childIds(tree: readonly ExperimentNode[], baseId: number): Set<number> {
  const ids = new Set<number>();
  for (const experiment of tree) {
    for (const run of experiment.runs) {
      if (run.parentCheckpointId !== baseId) continue;
      // A derived run holds one point per α (each made from the base); a trained run's delta is its last checkpoint.
      const points = run.phase === 'derived' ? run.checkpoints : [lastCheckpoint(run)];
      for (const point of points) if (point !== null && point.id !== baseId) ids.add(point.id);
    }
  }
  return ids;
}

/**
 * The checkpoints a delta picker offers for `baseId`, grouped: the last checkpoint of each run started
 * from the base, by the run's phase; every other checkpoint under 'other'. Empty groups are left out.
 */
export function groupDeltaCandidates(tree: readonly ExperimentNode[], baseId: number | null): DeltaGroup[] {
  const children = baseId === null ? new Set<number>() : childIds(tree, baseId);
  const byPhase = new Map<DeltaPhase, CheckpointChoice[]>();
  for (const choice of checkpointChoices(tree)) {
    if (choice.id === baseId) continue;
    const phase = children.has(choice.id) ? deltaPhaseOf(choice.run) : 'other';
    byPhase.set(phase, [...(byPhase.get(phase) ?? []), choice]);
  }
  return DELTA_PHASES.flatMap((p) => {
    const choices = byPhase.get(p.phase);
    return choices === undefined ? [] : [{ ...p, choices }];
  });
}

/** What a picker pre-checks for a base: its fine-tunes only, never a control or a derived point. */
export function defaultDeltaSelection(tree: readonly ExperimentNode[], baseId: number): number[] {
  return (
    groupDeltaCandidates(tree, baseId)
      .find((g) => g.phase === 'finetune')
      ?.choices.map((c) => c.id) ?? []
  );
}
