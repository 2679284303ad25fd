import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src-main/shared/random';
import {
  DEFAULT_SPIKE_IN_STAGES,
  defaultSpikeInBlock,
  nullDriftSd,
  precisionAtK,
  spikeInCalibration,
  type SpikeInInput,
} from '../../../src-main/protocol/spike-in';
import type { NamedTensor, TensorMap } from '../../../src-main/weights';

/** A delta of two tensors (2000 + 500 parameters) of i.i.d. N(0, sd²) drift, plus `extra` on a range of `a`. */
function noiseDelta(
  seed: number,
  sd: number,
  extra?: { start: number; length: number; value: number },
): TensorMap {
  const rng = createRng(seed, 1);
  const tensor = (name: string, shape: number[]): NamedTensor => {
    const data = Float32Array.from({ length: shape[0]! * shape[1]! }, () => sd * rng.normal());
    if (extra !== undefined && name === 'a')
      for (let i = 0; i < extra.length; i++) data[extra.start + i]! += extra.value;
    return { name, shape, data };
  };
  return new Map([
    ['a', tensor('a', [100, 20])],
    ['b', tensor('b', [50, 10])],
  ]);
}

function input(
  overrides: Partial<SpikeInInput> = {},
  extra?: { start: number; length: number; value: number },
): SpikeInInput {
  return {
    seed: 3,
    baseCheckpointId: 1,
    rbDeltas: [0, 1, 2, 3].map((i) => ({
      label: `rb${i}`,
      checkpointId: 10 + i,
      map: noiseDelta(100 + i, 0.01, extra),
    })),
    nullDeltas: [0, 1].map((i) => ({
      label: `null-${i}`,
      checkpointId: 20 + i,
      map: noiseDelta(200 + i, 0.01),
    })),
    aggregators: ['mean', 'null-normalized', 'sign-agreement'],
    block: { tensor: 'a', start: 600, length: 25 },
    tiesDensity: 0.2,
    dareDropProbability: 0.5,
    ...overrides,
  };
}

describe('spike-in calibration', () => {
  it('finds a planted block at SNR 2 and not without a plant: a detection curve falling with the SNR', () => {
    const result = spikeInCalibration(input());
    expect(result.snrs).toEqual([8, 4, 2, 1, 0.5, 0.25, 0]);
    expect(result.passSnr).toBe(2);
    expect(result.nullSd).toBeCloseTo(0.01, 2);
    expect(result.chance).toBeCloseTo(25 / 2500);
    const mean = result.aggregators.find((a) => a.aggregator === 'mean')!;
    // SNR 2 (index 2) is where the pass is judged; 8 and 4 above it, 0 (index 6) plants nothing.
    expect(mean.precision[2]).toBeGreaterThanOrEqual(0.5);
    expect(mean.precision[6]).toBeLessThan(0.2);
    expect(mean.precision[2]).toBeGreaterThan(mean.precision[5]!);
    expect(mean.detectionSnr).toBeLessThanOrEqual(2);
    expect(mean.pass).toBe(true);
    expect(result.pass).toBe(true);
    expect(result.verdict).toMatch(/found the planted block at SNR 2 or below/);
  });

  it('FAILS an aggregator that sees the block only above SNR 2 (at 4 or 8): the curve shows it, the pass does not count it', () => {
    const base = input({ snrs: [8, 4, 2] });
    const sd = nullDriftSd(
      base.nullDeltas.map((d) => d.map),
      base.block,
    );
    let plantedSnr = 0;
    const result = spikeInCalibration(base, {
      ...DEFAULT_SPIKE_IN_STAGES,
      plant: (delta, block, values) => {
        plantedSnr = Math.abs(values[0]!) / sd;
        return DEFAULT_SPIKE_IN_STAGES.plant(delta, block, values);
      },
      // A scorer that sees the block only when it was planted at 4× the null drift or more.
      score: () => (plantedSnr >= 3.5 ? 1 : 0),
    });
    expect(result.aggregators.every((a) => a.detectionSnr === 4)).toBe(true);
    expect(result.aggregators.some((a) => a.pass)).toBe(false);
    expect(result.pass).toBe(false);
    expect(result.verdict).toMatch(/no aggregator reached precision@k 0.5 at SNR 2/);
  });

  it('FAILS when a stage is broken: an aggregator that returns noise', () => {
    const rng = createRng(9, 2);
    const noise = {
      ...DEFAULT_SPIKE_IN_STAGES,
      aggregate: (_choice: unknown, deltas: readonly { map: TensorMap }[]): TensorMap =>
        new Map(
          [...deltas[0]!.map.values()].map((t) => [
            t.name,
            { ...t, data: Float32Array.from(t.data, () => Math.abs(rng.normal())) },
          ]),
        ),
    };
    const result = spikeInCalibration(input(), noise);
    expect(result.pass).toBe(false);
    expect(Math.max(...result.aggregators.map((a) => a.precision[0]!))).toBeLessThan(0.2);
    expect(result.verdict).toMatch(/no aggregator reached/);
  });

  it('FAILS when the block is planted in one place and scored in another (shifted by its length)', () => {
    const shifted = {
      ...DEFAULT_SPIKE_IN_STAGES,
      score: (map: TensorMap, block: { tensor: string; start: number; length: number }) =>
        precisionAtK(map, { ...block, start: block.start + block.length }),
    };
    expect(spikeInCalibration(input(), shifted).pass).toBe(false);
  });

  it('FAILS when the deltas already sit on the block without a plant (the check could not tell)', () => {
    const result = spikeInCalibration(input({}, { start: 600, length: 25, value: 0.2 }));
    expect(result.pass).toBe(false);
    expect(result.verdict).toMatch(/nothing planted/);
  });

  it('scores ties pro rata: an all-zero map scores chance', () => {
    const zero: TensorMap = new Map([['a', { name: 'a', shape: [10, 10], data: new Float32Array(100) }]]);
    expect(precisionAtK(zero, { tensor: 'a', start: 0, length: 10 })).toBeCloseTo(0.1);
  });

  it('picks a default block the null controls move, and refuses one they do not', () => {
    const nulls = [noiseDelta(1, 0.01)];
    const block = defaultSpikeInBlock(nulls, 4);
    expect(block.tensor).toBe('a');
    expect(block.length).toBe(25);
    const frozen = new Map(nulls[0]);
    frozen.set('a', { name: 'a', shape: [100, 20], data: new Float32Array(2000) });
    expect(() =>
      spikeInCalibration(input({ nullDeltas: [{ label: 'n', checkpointId: 2, map: frozen }] })),
    ).toThrow(/did not move block/);
  });
});
