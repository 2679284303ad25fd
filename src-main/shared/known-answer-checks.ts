import { z } from 'zod';

/**
 * The two known-answer checks that can fail (issue 11 §5), as stored artifacts and API results:
 * spike-in calibration (a planted block added to every RB delta of an unrestricted replication, at an
 * SNR relative to the measured null drift; precision@k of the block per aggregator and SNR) and the
 * observation ground truth (per RB, the share of its first-layer delta mass on the rows that read its
 * own object's input channel). Computed by protocol/spike-in.ts and protocol/observation-ground-truth.ts.
 */

export const SPIKE_IN_FORMAT = 'deltascope.protocol.spike-in/1' as const;
export const GROUND_TRUTH_FORMAT = 'deltascope.protocol.ground-truth/1' as const;

const count = z.number().int().nonnegative();
const id = z.number().int().positive();

/** A contiguous run of flat (row-major) elements of one tensor. */
export const PlantedBlockSchema = z.object({
  tensor: z.string().min(1),
  start: count,
  length: z.number().int().positive(),
});
export type PlantedBlock = z.output<typeof PlantedBlockSchema>;

export const SpikeInDataSchema = z.object({
  format: z.literal(SPIKE_IN_FORMAT),
  seed: z.number().int(),
  /** The checkpoints: MA, each RB fine-tune, each null control. */
  base: id,
  rbInputs: z.array(id),
  nullInputs: z.array(id),
  block: PlantedBlockSchema,
  /** Measured null drift over the block: RMS of every null delta's elements there (its per-parameter SD). */
  nullSd: z.number(),
  /** k = block length; chance = k / parameters (the precision of a map blind to the plant). */
  k: count,
  parameters: count,
  chance: z.number(),
  /** Precision at or above which an aggregator "sees" the block. */
  passPrecision: z.number(),
  /** An aggregator passes when it sees the block at this SNR or lower (2 for checks stored before it existed, judged at the largest SNR 2). */
  passSnr: z.number().default(2),
  /** SNRs of the plant (× nullSd), largest first; 0 = nothing planted (the control). */
  snrs: z.array(z.number()),
  aggregators: z.array(
    z.object({
      aggregator: z.string(),
      /** precision@k of the block, one per `snrs` entry. */
      precision: z.array(z.number()),
      /** The smallest SNR (> 0) at which precision ≥ passPrecision; null if none. */
      detectionSnr: z.number().nullable(),
      /** Sees the block at the largest SNR and not without a plant. */
      pass: z.boolean(),
    }),
  ),
  pass: z.boolean(),
  /** One sentence: why it passed or failed. */
  verdict: z.string(),
});
export type SpikeInData = z.output<typeof SpikeInDataSchema>;

export const GroundTruthDataSchema = z.object({
  format: z.literal(GROUND_TRUTH_FORMAT),
  seed: z.number().int(),
  base: id,
  /** The first-layer tensor and how its elements map to observation channels. */
  tensor: z.string(),
  view: z.enum(['global', 'egocentric']),
  channels: z.array(z.string()),
  /** Each channel's share of the tensor's parameters (1 / channels for a dense or conv first layer). */
  parameterShare: z.number(),
  /** own share must reach ratio × the mean of the other objects' shares. */
  minRatio: z.number(),
  rbs: z.array(
    z.object({
      rb: z.string(),
      checkpointId: id,
      /** The object kind the RB rewards collecting; null for an RB with no single target (not checked). */
      kind: z.string().nullable(),
      /** Σ|Δ| over the rows of each channel / Σ|Δ| over the tensor, in `channels` order. */
      channelShares: z.array(z.number()),
      ownShare: z.number().nullable(),
      /** Mean share of the other object kinds' channels. */
      othersShare: z.number().nullable(),
      /** Mean share of the own channel in the null controls' deltas (drift that is not the RB's). */
      nullOwnShare: z.number().nullable(),
      pass: z.boolean().nullable(),
    }),
  ),
  pass: z.boolean(),
  verdict: z.string(),
});
export type GroundTruthData = z.output<typeof GroundTruthDataSchema>;

/** What `protocol.knownAnswerChecks` returns: both checks of one replication and their artifacts. */
export const KnownAnswerChecksResultSchema = z.object({
  experimentId: id,
  seed: z.number().int(),
  spikeIn: SpikeInDataSchema,
  spikeInArtifactId: id,
  groundTruth: GroundTruthDataSchema.nullable(),
  /** Why the ground truth was not computed (e.g. not an MLP on the egocentric view). */
  groundTruthSkipped: z.string().nullable(),
  groundTruthArtifactId: id.nullable(),
  pass: z.boolean(),
});
export type KnownAnswerChecksResult = z.output<typeof KnownAnswerChecksResultSchema>;
