import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { recordEpisode } from '../../../src-main/engine/episode-recorder';
import { evaluatePolicy } from '../../../src-main/engine/evaluate';
import { networkPolicy } from '../../../src-main/engine/policy-rollout';
import type { EpisodeRecording } from '../../../src-main/shared/contract-evaluation';
import { alwaysRightCollections, fixedLogitNetwork, obsShapeOf, REWARDS } from './policy-fixtures';

const MOVES: Record<number, [number, number]> = { 0: [-1, 0], 1: [1, 0], 2: [0, -1], 3: [0, 1] };

beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(() => tf.disposeVariables());

/** Checks a recording against the gridmaze rules, independently of the engine's code. */
function checkConsistent(rec: EpisodeRecording): void {
  const S = rec.size;
  expect(rec.frames).toHaveLength(rec.outcome.length);
  expect(rec.trail).toHaveLength(rec.outcome.length + 1);
  const totals: Record<string, number> = Object.fromEntries(rec.rewardNames.map((name) => [name, 0]));
  rec.frames.forEach((frame, t) => {
    expect(frame.t).toBe(t);
    expect(frame.probs).toHaveLength(4);
    expect(frame.probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(frame.agent).toEqual(rec.trail[t]);
    const [dr, dc] = MOVES[frame.action]!;
    const target = { row: frame.agent.row + dr, col: frame.agent.col + dc };
    const blocked = rec.walls[target.row * S + target.col] === 1;
    const next = rec.trail[t + 1]!;
    expect(next).toEqual(blocked ? frame.agent : target);
    expect(rec.walls[next.row * S + next.col]).toBe(0);
    const after = t + 1 < rec.frames.length ? rec.frames[t + 1]!.objects : rec.final.objects;
    const collectedHere = frame.objects
      .filter((o) => o.row === next.row && o.col === next.col)
      .map((o) => o.kind);
    expect(frame.collected).toEqual(collectedHere);
    expect(after).toEqual(frame.objects.filter((o) => !collectedHere.includes(o.kind)));
    for (const name of rec.rewardNames) totals[name]! += frame.rewards[name]!;
  });
  expect(rec.final.agent).toEqual(rec.trail[rec.trail.length - 1]);
  for (const name of rec.rewardNames) expect(totals[name]).toBeCloseTo(rec.outcome.returns[name]!, 12);
}

describe('recordEpisode', () => {
  it('records one frame per step, consistent with the actions, the walls and the rewards', () => {
    const config = { size: 7 };
    const net = fixedLogitNetwork(obsShapeOf(config), [0.3, -0.2, 0.1, 0], 0.7);
    const rec = recordEpisode(
      networkPolicy(net),
      { env: config, rewards: REWARDS },
      { mazeSeed: 4, policy: 'sampled', seed: 2 },
    );
    net.dispose();
    checkConsistent(rec);
    expect(rec.outcome.length).toBe(64);
    expect(rec.walls).toHaveLength(49);
    expect(new Set(rec.frames.map((f) => f.action)).size).toBe(4);
    const z = [0.3, -0.2, 0.1, 0].map(Math.exp);
    const sum = z.reduce((a, b) => a + b, 0);
    rec.frames.forEach((frame) => {
      frame.probs.forEach((p, j) => expect(p).toBeCloseTo(z[j]! / sum, 5));
      expect(frame.value).toBeCloseTo(0.7, 5);
    });
  });

  it('ends a terminate-on-collection episode at the collection, with the collected object gone', () => {
    const config = { size: 7, terminateOn: 'any' as const };
    const net = fixedLogitNetwork(obsShapeOf(config), [0, 0, 0, 0]);
    const policy = networkPolicy(net);
    let rec: EpisodeRecording | null = null;
    for (let mazeSeed = 0; mazeSeed < 50 && rec === null; mazeSeed++) {
      const candidate = recordEpisode(
        policy,
        { env: config, rewards: REWARDS },
        { mazeSeed, policy: 'sampled' },
      );
      if (candidate.outcome.terminated) rec = candidate;
    }
    net.dispose();
    expect(rec).not.toBeNull();
    checkConsistent(rec!);
    const last = rec!.frames[rec!.frames.length - 1]!;
    expect(last.collected).toHaveLength(1);
    expect(rec!.final.objects).toHaveLength(1);
    expect(rec!.outcome.collectedAtStep[last.collected[0]!]).toBe(rec!.outcome.length);
  });

  it('greedy recordings show the first maze of the evaluation with seed = mazeSeed', () => {
    const config = { size: 7 };
    const net = fixedLogitNetwork(obsShapeOf(config), [0, 0, 0, 1]);
    const policy = networkPolicy(net);
    const rec = recordEpisode(policy, { env: config, rewards: REWARDS }, { mazeSeed: 12, policy: 'greedy' });
    const evaluation = evaluatePolicy(
      policy,
      { env: config, rewards: REWARDS },
      { episodes: 1, policy: 'greedy', seed: 12 },
    );
    checkConsistent(rec);
    expect(rec.frames.every((f) => f.action === 3)).toBe(true);
    const start = {
      size: 7,
      walls: rec.walls,
      agent: rec.trail[0]!,
      objects: rec.frames[0]!.objects,
      step: 0,
    };
    expect(rec.outcome.collectedAtStep).toEqual(alwaysRightCollections(start));
    expect(evaluation.perEpisode.returns.RA![0]).toBe(rec.outcome.returns.RA);
    expect(evaluation.perEpisode.collectedAtStep.coin![0]).toBe(rec.outcome.collectedAtStep.coin ?? 0);
    expect(
      recordEpisode(policy, { env: config, rewards: REWARDS }, { mazeSeed: 12, policy: 'greedy' }),
    ).toEqual(rec);
    net.dispose();
  });
});
