import {
  ACTION_NAMES,
  type Cell,
  type EpisodeFrame,
  type EpisodeRecording,
  type PolicyMode,
} from '../shared/contract-evaluation';
import { DeltascopeError } from '../shared/errors';
import type { EpisodeRecord } from './env-types';
import type { EvaluationEnvSetup } from './evaluate';
import { createGridMaze } from './gridmaze';
import { evaluationEnvSeed, moveAgent, runEpisodes, type PolicyFn } from './policy-rollout';

/**
 * One episode of a policy, step by step, for the agent viewer. The maze is the first episode of env 0
 * of held-out stream `mazeSeed` (env seed 2^48 + mazeSeed): the same maze as the first episode of an
 * evaluation with seed = mazeSeed. Frame t is the state before action t with π, V, the action and the
 * rewards it earned under every reward; walls are sent once, and the trail once (frame t's trail is
 * trail[0 … t]), so a recording grows linearly with the episode length.
 */

export interface RecordOptions {
  mazeSeed: number;
  policy: PolicyMode;
  /** Seed of the action sampler (sampled mode). Default 0. */
  seed?: number;
}

const toCell = (cell: number, size: number): Cell => ({ row: Math.floor(cell / size), col: cell % size });

export function recordEpisode(
  policy: PolicyFn,
  setup: EvaluationEnvSetup,
  options: RecordOptions,
): EpisodeRecording {
  const seed = options.seed ?? 0;
  const envSeed = evaluationEnvSeed(options.mazeSeed);
  const env = createGridMaze(setup.env, setup.rewards, { numEnvs: 1, seed: envSeed });
  const start = env.layout(0);
  const size = start.size;
  const walls = start.walls;
  const frames: EpisodeFrame[] = [];
  const trail: Cell[] = [start.agent];
  // Filled in by the callbacks (an object, so the type checker does not narrow them to null).
  const end: { outcome: EpisodeRecord | null; final: EpisodeRecording['final'] | null; terminated: boolean } =
    {
      outcome: null,
      final: null,
      terminated: false,
    };

  runEpisodes(
    env,
    policy,
    { mode: options.policy, actionSeed: seed, quota: Int32Array.of(1) },
    {
      onDecision: (_i, action, probs, value) => {
        const now = env.layout(0);
        frames.push({
          t: frames.length,
          agent: now.agent,
          objects: now.objects,
          action,
          probs: Array.from(probs),
          value,
          rewards: {},
          collected: [],
        });
      },
      onStep: (result) => {
        const frame = frames[frames.length - 1] as EpisodeFrame;
        env.rewardNames.forEach((name, r) => (frame.rewards[name] = result.allRewards[r] as number));
        const ended = result.episodes[0];
        if (ended === undefined) {
          const next = env.layout(0);
          trail.push(next.agent);
          frame.collected = frame.objects
            .filter((o) => !next.objects.some((p) => p.kind === o.kind))
            .map((o) => o.kind);
          return;
        }
        // The env has already reset to a new maze: the last move is replayed with the env's move rule.
        const from = frame.agent.row * size + frame.agent.col;
        const agent = toCell(moveAgent(walls, size, from, frame.action), size);
        trail.push(agent);
        frame.collected = frame.objects
          .filter((o) => ended.collectedAtStep[o.kind] === ended.length)
          .map((o) => o.kind);
        end.final = { agent, objects: frame.objects.filter((o) => !frame.collected.includes(o.kind)) };
        end.terminated = result.terminated[0] === 1;
      },
      onEpisode: (record) => {
        end.outcome = record;
      },
    },
  );
  const { outcome: played, final } = end;
  if (played === null || final === null || played.length !== frames.length) {
    throw new DeltascopeError(
      'INTERNAL',
      `episode recording ended with ${frames.length} frames and no matching episode`,
    );
  }
  return {
    format: 'deltascope.episode/1',
    size,
    kinds: [...env.kinds],
    rewardNames: [...env.rewardNames],
    actionNames: [...ACTION_NAMES],
    walls,
    mazeSeed: options.mazeSeed,
    envSeed,
    policy: options.policy,
    seed,
    frames,
    trail,
    final,
    outcome: {
      length: played.length,
      terminated: end.terminated,
      returns: played.returns,
      collectedAtStep: played.collectedAtStep,
      success: played.success,
    },
  };
}
