import {
  GROUND_TRUTH_FORMAT,
  SPIKE_IN_FORMAT,
  type GroundTruthData,
  type SpikeInData,
} from '../../../src-main/shared/known-answer-checks';

/** A stored spike-in calibration as protocol.knownAnswerChecks writes it (mean sees the block down to SNR 1). */
export function spikeInFixture(): SpikeInData {
  return {
    format: SPIKE_IN_FORMAT,
    seed: 1,
    base: 1,
    rbInputs: [2, 3],
    nullInputs: [4],
    block: { tensor: 'torso.dense2.kernel', start: 40, length: 25 },
    nullSd: 0.002,
    k: 25,
    parameters: 2500,
    chance: 0.01,
    passPrecision: 0.5,
    passSnr: 2,
    snrs: [2, 1, 0.5, 0.25, 0],
    aggregators: [
      { aggregator: 'mean', precision: [0.9, 0.6, 0.2, 0.04, 0.0], detectionSnr: 1, pass: true },
      { aggregator: 'median', precision: [0.3, 0.1, 0.0, 0.0, 0.0], detectionSnr: null, pass: false },
    ],
    pass: true,
    verdict:
      'mean (down to SNR 1) found the planted block at SNR 2 (precision@k ≥ 0.5); none found it without a plant',
  };
}

/** A stored observation ground truth: coin on its own channel, gem not. */
export function groundTruthFixture(): GroundTruthData {
  return {
    format: GROUND_TRUTH_FORMAT,
    seed: 1,
    base: 1,
    tensor: 'torso.dense1.kernel',
    view: 'egocentric',
    channels: ['wall', 'agent', 'cheese', 'coin', 'red_gem'],
    parameterShare: 0.2,
    minRatio: 1.2,
    rbs: [
      {
        rb: 'coin',
        checkpointId: 2,
        kind: 'coin',
        channelShares: [0.3, 0.1, 0.1, 0.4, 0.1],
        ownShare: 0.4,
        othersShare: 0.1,
        nullOwnShare: 0.15,
        pass: true,
      },
      {
        rb: 'gem',
        checkpointId: 3,
        kind: 'red_gem',
        channelShares: [0.3, 0.2, 0.2, 0.2, 0.1],
        ownShare: 0.1,
        othersShare: 0.2,
        nullOwnShare: 0.1,
        pass: false,
      },
    ],
    pass: false,
    verdict:
      "gem 10.0 % on its own channel vs 20.0 % on the others': below 1.2× the others' or the parameter share 20.0 %",
  };
}
