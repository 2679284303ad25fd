import type { CheckpointSummary, Provenance, RunSummary } from '../../shared/domain';
import { DeltascopeError } from '../../shared/errors';
import type { DeltascopeDb } from '../../store';
import {
  arithmeticProvenance,
  assertMatchingTensors,
  combinedSource,
  matchSourceList,
  linearCombination,
  parseFormula,
  randomDirectionLike,
  subtractMaps,
  type TensorMap,
} from '../../weights';
import type { WeightSources } from './weights-sources';

/**
 * weights.combine and weights.randomDirection: new checkpoints computed from stored ones, saved under
 * a run of phase "derived" in the experiment of the first input. The run copies that input run's
 * reward and config, so a derived checkpoint is evaluated in the same env as its inputs.
 */

export interface DerivedTarget {
  label?: string | undefined;
  runName: string;
}

/** The derived run named `runName` in the experiment of `input`'s run, created on first use. */
function derivedRun(db: DeltascopeDb, input: CheckpointSummary, runName: string): RunSummary {
  const inputRun = db.runs.get(input.runId);
  const existing = db.runs
    .listByExperiment(inputRun.experimentId)
    .find((run) => run.name === runName && run.phase === 'derived');
  if (existing !== undefined) return existing;
  return db.runs.create({
    experimentId: inputRun.experimentId,
    name: runName,
    phase: 'derived',
    reward: inputRun.reward,
    seed: null,
    config: inputRun.config,
    backend: null,
    parentCheckpointId: input.id,
    status: 'done',
  });
}

/** Writes `map` as the next checkpoint of the derived run (step = its checkpoint count). */
function saveDerived(
  db: DeltascopeDb,
  run: RunSummary,
  map: TensorMap,
  label: string,
  parent: number,
  provenance: Provenance,
): CheckpointSummary {
  const step = db.runs.get(run.id).checkpointCount;
  return db.checkpoints.put({
    runId: run.id,
    step,
    label,
    parentCheckpointId: parent,
    tensors: [...map.values()].map((t) => ({ name: t.name, shape: [...t.shape], data: t.data })),
    provenance,
  });
}

export interface CombineParams extends DerivedTarget {
  formula: string;
  bindings: { checkpoints: Record<string, number>; scalars: Record<string, number> };
  alphaGrid?: number[] | undefined;
}

/** `formula` with the alpha of a grid point written in, for labels: `A - alpha*(B - A) [alpha=0.5]`. */
function pointLabel(params: CombineParams, alpha: number | null): string {
  const base = params.label ?? params.formula;
  return alpha === null ? base : `${base} [alpha=${alpha}]`;
}

export function combineCheckpoints(db: DeltascopeDb, sources: WeightSources, params: CombineParams) {
  if (params.alphaGrid !== undefined && Object.hasOwn(params.bindings.scalars, 'alpha')) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      'alpha is bound both in bindings.scalars and by alphaGrid; give one.',
    );
  }
  const points = params.alphaGrid ?? [null];
  // Parse every point first: a bad formula fails before anything is read or written.
  const parsed = points.map((alpha) => ({
    alpha,
    formula: parseFormula(params.formula, {
      checkpoints: params.bindings.checkpoints,
      scalars: alpha === null ? params.bindings.scalars : { ...params.bindings.scalars, alpha },
    }),
  }));
  const inputIds = parsed[0]!.formula.terms.map((t) => t.id);
  const inputs = inputIds.map((checkpointId) => db.checkpoints.get(checkpointId));
  // Each input is read chunk by chunk from the store (or its referenced files), never whole, so a
  // combination of models of any size is computed and stored within the memory budget.
  const opened = new Map(inputIds.map((id) => [id, db.checkpoints.openSource(id)]));
  try {
    matchSourceList([...opened.values()]);
    return db.transaction(() => {
      const run = derivedRun(db, inputs[0]!, params.runName);
      const results = parsed.map(({ alpha, formula }) => {
        const combined = combinedSource(
          formula.terms.map((t) => ({ coefficient: t.coefficient, source: opened.get(t.id)! })),
          { dtype: 'F32' },
        );
        const terms = formula.terms.map((t) => ({ checkpointId: t.id, coefficient: t.coefficient }));
        const provenance = arithmeticProvenance({
          formula: params.formula,
          inputs: inputIds,
          description: `computed as ${formula.terms.map((t) => `${t.coefficient}·#${t.id}`).join(' + ')}`,
          details: { terms, bindings: params.bindings, ...(alpha === null ? {} : { alpha }) },
        });
        const checkpoint = db.checkpoints.putFromSource(
          {
            runId: run.id,
            step: db.runs.get(run.id).checkpointCount,
            label: pointLabel(params, alpha),
            parentCheckpointId: inputIds[0]!,
            provenance,
          },
          combined,
        );
        return { alpha, checkpoint, terms };
      });
      return { runId: run.id, results };
    });
  } finally {
    for (const source of opened.values()) source.close();
  }
}

export interface RandomDirectionParams extends DerivedTarget {
  a: number;
  b: number;
  seed: number;
  scale: number;
}

/** θ = A + scale·r, r random with ‖r_t‖₂ = ‖(B − A)_t‖₂ for every tensor t (seeded by tensor name). */
export function randomDirectionCheckpoint(
  db: DeltascopeDb,
  sources: WeightSources,
  params: RandomDirectionParams,
) {
  const inputA = db.checkpoints.get(params.a);
  const a = sources.checkpoint(params.a).map;
  const b = sources.checkpoint(params.b).map;
  assertMatchingTensors([a, b], [`checkpoint ${params.a}`, `checkpoint ${params.b}`]);
  const direction = randomDirectionLike(subtractMaps(b, a), params.seed);
  const map = linearCombination([
    { coefficient: 1, map: a, label: `checkpoint ${params.a}` },
    { coefficient: params.scale, map: direction, label: 'the random direction' },
  ]);
  const formula = `#${params.a} + ${params.scale}*random(#${params.b} - #${params.a}, seed ${params.seed})`;
  return db.transaction(() => {
    const run = derivedRun(db, inputA, params.runName);
    const checkpoint = saveDerived(
      db,
      run,
      map,
      params.label ?? formula,
      params.a,
      arithmeticProvenance({
        formula,
        inputs: [params.a, params.b],
        description: `checkpoint ${params.a} plus a random direction with the per-tensor norms of #${params.b} − #${params.a}`,
        details: { seed: params.seed, scale: params.scale, control: 'random-direction' },
      }),
    );
    return { runId: run.id, checkpoint };
  });
}
