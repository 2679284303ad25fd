import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { recordEpisode } from '../../../src-main/engine/episode-recorder';
import { networkPolicy } from '../../../src-main/engine/policy-rollout';
import { visitationHeatmap } from '../../../src-main/engine/visitation';
import { fixedLogitNetwork, obsShapeOf, REWARDS } from './policy-fixtures';

const S7 = { size: 7 };

beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(() => tf.disposeVariables());

describe('visitationHeatmap', () => {
  it('fixed-maze: one episode per free start cell, counts only on open cells, H+1 visits each', () => {
    const net = fixedLogitNetwork(obsShapeOf(S7), [0, 0, 0, 0]);
    const heat = visitationHeatmap(
      networkPolicy(net),
      { env: S7, rewards: REWARDS },
      {
        mode: 'fixed-maze',
        mazeSeed: 3,
        policy: 'sampled',
        episodesPerStart: 2,
        numEnvs: 8,
      },
    );
    net.dispose();
    const layout = heat.layout!;
    const open = layout.walls.filter((w) => w === 0).length;
    expect(heat.starts).toBe(open - layout.objects.length);
    expect(heat.episodes).toBe(2 * heat.starts!);
    expect(heat.visits).toBe(heat.episodes * 65);
    expect(heat.counts).toHaveLength(49);
    heat.counts.forEach((count, cell) => {
      if (layout.walls[cell] === 1) expect(count).toBe(0);
      else expect(count).toBeGreaterThan(0);
    });
  });

  it('fixed-maze uses the maze of the recording with the same maze seed', () => {
    const net = fixedLogitNetwork(obsShapeOf(S7), [0, 0, 0, 1]);
    const policy = networkPolicy(net);
    const heat = visitationHeatmap(
      policy,
      { env: S7, rewards: REWARDS },
      { mode: 'fixed-maze', mazeSeed: 6, policy: 'greedy' },
    );
    const rec = recordEpisode(policy, { env: S7, rewards: REWARDS }, { mazeSeed: 6, policy: 'greedy' });
    net.dispose();
    expect(heat.layout!.walls).toEqual(rec.walls);
    expect(heat.layout!.objects).toEqual(rec.frames[0]!.objects);
    // Always right from every start: each start row's rightmost reachable cell holds the agent for most steps.
    const S = 7;
    const stops = new Set<number>();
    for (let cell = 0; cell < S * S; cell++) {
      if (heat.layout!.walls[cell] === 1) continue;
      let c = cell;
      while (heat.layout!.walls[c + 1] === 0) c++;
      stops.add(c);
    }
    const hottest = heat.counts.indexOf(Math.max(...heat.counts));
    expect(stops.has(hottest)).toBe(true);
  });

  it('start-relative: an always-right policy only visits offsets (0, d ≥ 0)', () => {
    const net = fixedLogitNetwork(obsShapeOf(S7), [0, 0, 0, 3]);
    const heat = visitationHeatmap(
      networkPolicy(net),
      { env: S7, rewards: REWARDS },
      {
        mode: 'start-relative',
        mazeSeed: 1,
        policy: 'greedy',
        episodes: 40,
      },
    );
    net.dispose();
    expect(heat.rows).toBe(13);
    expect(heat.origin).toEqual({ row: 6, col: 6 });
    expect(heat.anchor).toBe('start');
    expect(heat.visits).toBe(40 * 65);
    heat.counts.forEach((count, index) => {
      const [row, col] = [Math.floor(index / 13), index % 13];
      if (row !== 6 || col < 6) expect(count).toBe(0);
    });
    expect(heat.counts[6 * 13 + 6]).toBeGreaterThan(0);
  });

  it('object-relative: counts offsets from the anchor kind and refuses a kind the env lacks', () => {
    const net = fixedLogitNetwork(obsShapeOf(S7), [0, 0, 0, 0]);
    const policy = networkPolicy(net);
    const setup = { env: S7, rewards: REWARDS };
    const heat = visitationHeatmap(policy, setup, {
      mode: 'object-relative',
      mazeSeed: 2,
      policy: 'sampled',
      episodes: 30,
      anchorKind: 'coin',
    });
    expect(heat.anchor).toBe('coin');
    expect(heat.visits).toBe(30 * 65);
    // The agent never starts on the object: offset (0, 0) is only reached by moving onto it.
    expect(heat.counts[6 * 13 + 6]).toBeLessThan(heat.visits / 10);
    expect(() =>
      visitationHeatmap(policy, setup, {
        mode: 'object-relative',
        mazeSeed: 2,
        policy: 'sampled',
        anchorKind: 'red_gem',
      }),
    ).toThrow(/red_gem/);
    net.dispose();
  });
});
