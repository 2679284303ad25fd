import type { z } from 'zod';
import { checkpointMap, loadProtocol, readNodeStates } from '../../jobs/protocol/protocol-store';
import { deltaOf, nodeIds } from '../../protocol';
import { observationGroundTruth } from '../../protocol/observation-ground-truth';
import {
  DEFAULT_SPIKE_IN_SNRS,
  defaultSpikeInBlock,
  spikeInCalibration,
  type SpikeInStages,
} from '../../protocol/spike-in';
import { encodeArtifact } from '../../shared/artifact-codec';
import type { KnownAnswerCheckRecipe } from '../../shared/artifact-schemas';
import type { protocolChecksMethods } from '../../shared/contract-checks';
import { DeltascopeError } from '../../shared/errors';
import { rbTargetKind } from '../../shared/experiment-spec';
import type { KnownAnswerChecksResult } from '../../shared/known-answer-checks';
import { fitsObservation, observationLayout, type ObservationLayout } from '../../shared/observation-layout';
import type { DeltascopeDb } from '../../store';

/**
 * `protocol.knownAnswerChecks`: the spike-in calibration and the observation ground truth on one
 * replication of a finished *unrestricted* experiment (its MA, RB fine-tunes and null controls), each
 * stored as an artifact (`protocol-spike-in`, `protocol-ground-truth`) the report reads. Runs in the
 * API's compute thread (compute-worker.ts): both fold every delta of the model.
 */

export type KnownAnswerChecksParams = z.output<
  (typeof protocolChecksMethods)['protocol.knownAnswerChecks']['request']
>;

/** Stages a test may replace to break the pipeline on purpose (the checks must then fail). */
export interface KnownAnswerCheckStages {
  spikeIn?: SpikeInStages;
  /** The observation layout the ground truth reads the first layer with. */
  layout?: (layout: ObservationLayout) => ObservationLayout;
}

export type KnownAnswerChecksComputed = Omit<
  KnownAnswerChecksResult,
  'spikeInArtifactId' | 'groundTruthArtifactId'
>;

/** Both checks of one replication, computed and not stored. */
export function computeKnownAnswerChecks(
  db: DeltascopeDb,
  params: KnownAnswerChecksParams,
  stages: KnownAnswerCheckStages = {},
): KnownAnswerChecksComputed {
  const { experimentId } = params;
  const { spec } = loadProtocol(db, experimentId);
  const where = `experiment ${experimentId}`;
  if (spec.knownAnswer !== null) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `${where} masks its fine-tunes to \`${spec.knownAnswer.tensor}\`, so every map is zero elsewhere by construction; run the checks on an unrestricted experiment (knownAnswer: null)`,
    );
  }
  if (spec.nullControls === 0) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `${where} has no null control: the spike-in's SNR is relative to the null drift; set nullControls ≥ 1`,
    );
  }
  const seed = params.seed ?? spec.seedBase;
  if (seed < spec.seedBase || seed >= spec.seedBase + spec.seeds) {
    throw new DeltascopeError(
      'INVALID_PAYLOAD',
      `${where} has replication seeds ${spec.seedBase}…${spec.seedBase + spec.seeds - 1}, not ${seed}`,
    );
  }
  const states = readNodeStates(db, experimentId);
  const checkpointOf = (nodeId: string): number => {
    const id = states.get(nodeId)?.outputs.checkpointId;
    if (states.get(nodeId)?.status !== 'done' || id === undefined) {
      throw new DeltascopeError(
        'INVALID_SPEC',
        `${where}: node ${nodeId} has not finished; the checks need MA, every RB fine-tune and null control of seed ${seed}`,
      );
    }
    return id;
  };
  const baseId = checkpointOf(nodeIds.pretrain(seed));
  const base = checkpointMap(db, baseId);
  const load = (label: string, nodeId: string) => {
    const checkpointId = checkpointOf(nodeId);
    return { label, checkpointId, map: deltaOf(base, checkpointMap(db, checkpointId)) };
  };
  const rbDeltas = spec.rbs.map((rb) => ({
    ...load(rb.name, nodeIds.finetune(seed, rb.name)),
    kind: rbTargetKind(rb),
  }));
  const nullDeltas = Array.from({ length: spec.nullControls }, (_, k) =>
    load(`null-${k}`, nodeIds.null(seed, k)),
  );
  const block =
    params.block ??
    defaultSpikeInBlock(
      nullDeltas.map((d) => d.map),
      seed,
    );
  const snrs = params.snrs ?? [...DEFAULT_SPIKE_IN_SNRS];
  const spikeIn = spikeInCalibration(
    {
      seed,
      baseCheckpointId: baseId,
      rbDeltas,
      nullDeltas,
      aggregators: spec.aggregators,
      block,
      snrs,
      tiesDensity: spec.tiesDensity,
      dareDropProbability: spec.dareDropProbability,
    },
    stages.spikeIn,
  );
  const ownLayout = observationLayout(spec.env, spec.net);
  const layout = stages.layout?.(ownLayout) ?? ownLayout;
  const first = layout.inputs[0]!;
  const firstShape = base.get(first.tensor)?.shape;
  const groundTruthSkipped =
    spec.net.kind !== 'mlp' || spec.env.view !== 'egocentric'
      ? `the observation ground truth is defined for the MLP on the egocentric view; this experiment has a ${spec.net.kind} on the ${spec.env.view} view`
      : firstShape === undefined || !fitsObservation(layout, first, firstShape)
        ? `MA's \`${first.tensor}\` does not read the experiment's observation`
        : null;
  const groundTruth =
    groundTruthSkipped !== null
      ? null
      : observationGroundTruth({
          seed,
          baseCheckpointId: baseId,
          layout,
          rbDeltas,
          nullDeltas: nullDeltas.map((d) => d.map),
        });
  return {
    experimentId,
    seed,
    spikeIn,
    groundTruth,
    groundTruthSkipped,
    pass: spikeIn.pass && (groundTruth === null || groundTruth.pass),
  };
}

/** Computes both checks and stores each as an artifact (one transaction). */
export function runKnownAnswerChecks(
  db: DeltascopeDb,
  params: KnownAnswerChecksParams,
): KnownAnswerChecksResult {
  const checks = computeKnownAnswerChecks(db, params);
  const { experimentId, seed, spikeIn, groundTruth } = checks;
  const { block } = spikeIn;
  const snrs = spikeIn.snrs.filter((x: number) => x > 0);
  const recipe: KnownAnswerCheckRecipe = {
    protocol: experimentId,
    seed,
    method: 'protocol.knownAnswerChecks',
  };
  return db.transaction(() => {
    const spikeInArtifactId = db.artifacts.put(
      encodeArtifact(
        'protocol-spike-in',
        { experimentId, name: `spike-in calibration, seed ${seed}` },
        {
          recipe: { ...recipe, block, snrs },
          manifest: {
            encoding: 'json-utf8',
            format: spikeIn.format,
            summary: { seed, pass: spikeIn.pass, tensor: block.tensor, k: spikeIn.k },
          },
          data: spikeIn,
        },
      ),
    ).id;
    const groundTruthArtifactId =
      groundTruth === null
        ? null
        : db.artifacts.put(
            encodeArtifact(
              'protocol-ground-truth',
              { experimentId, name: `observation ground truth, seed ${seed}` },
              {
                recipe,
                manifest: {
                  encoding: 'json-utf8',
                  format: groundTruth.format,
                  summary: { seed, pass: groundTruth.pass, tensor: groundTruth.tensor },
                },
                data: groundTruth,
              },
            ),
          ).id;
    return { ...checks, spikeInArtifactId, groundTruthArtifactId };
  });
}

/**
 * The checks on every replication of the experiment in turn (seedBase…), each stored as
 * runKnownAnswerChecks does; `onResult` hears each one with its replication's index and seconds.
 */
export function runKnownAnswerChecksOnEveryReplication(
  db: DeltascopeDb,
  experimentId: number,
  onResult: (result: KnownAnswerChecksResult, index: number, of: number, seconds: number) => void = () => {},
): KnownAnswerChecksResult[] {
  const { spec } = loadProtocol(db, experimentId);
  const results: KnownAnswerChecksResult[] = [];
  for (let r = 0; r < spec.seeds; r++) {
    const t0 = Date.now();
    const result = runKnownAnswerChecks(db, { experimentId, seed: spec.seedBase + r });
    results.push(result);
    onResult(result, r, spec.seeds, (Date.now() - t0) / 1000);
  }
  return results;
}

/** One line for a replication's checks: "Known-answer checks, seed 1 (1/3, 1.2 s): spike-in pass, ground truth pass". */
export function knownAnswerChecksLine(
  result: KnownAnswerChecksResult,
  index: number,
  of: number,
  seconds: number,
): string {
  const truth = result.groundTruth === null ? 'not computed' : result.groundTruth.pass ? 'pass' : 'FAIL';
  return `Known-answer checks, seed ${result.seed} (${index + 1}/${of}, ${seconds.toFixed(1)} s): spike-in ${result.spikeIn.pass ? 'pass' : 'FAIL'}, ground truth ${truth}`;
}
