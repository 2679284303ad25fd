import { DeltascopeError } from '../../shared/errors';
import { describeIssues } from '../../shared/validate';
import {
  GridMazeConfigSchema,
  type GridMazeConfig,
  type GridMazeConfigInput,
  type ObjectKind,
} from '../../shared/gridmaze-config';
import { observationShape } from '../../shared/observation-layout';
import type { RewardSpec } from '../../shared/reward';
import type { EpisodeRecord, StepResult, VecEnv } from '../env-types';
import { compileRewards, rewardFromEvents, type CompiledRewards } from '../rewards';
import { parseLayout, type GridMazeLayout } from './layout';
import { writeEgocentricObs, writeGlobalObs } from './observation';
import { restoreSnapshot, takeSnapshot, type GridMazeSnapshot } from './snapshot';
import {
  advanceEnv,
  beginEpisode,
  createGeometry,
  createState,
  resetEnv,
  type GridMazeGeometry,
  type GridMazeState,
} from './state';

/**
 * The gridmaze VecEnv: N episodes stepped together with auto-reset, semantics as
 * shared/bench/reference_ppo.py `GridMaze` (see README.md in this folder).
 *
 * Buffers are reused: the typed arrays of a StepResult are overwritten by a later step, except `obs`,
 * which alternates between two buffers so that the previous step's observations stay valid until the
 * following step returns. Copy what you keep.
 */

export interface GridMazeOptions {
  numEnvs: number;
  seed: number;
  /** Name of the reward returned in `StepResult.rewards`; defaults to the first reward. */
  trainReward?: string;
}

type ObsWriter = (state: GridMazeState, envIndex: number, out: Float32Array, offset: number) => void;

export function parseGridMazeConfig(config: GridMazeConfigInput): GridMazeConfig {
  const parsed = GridMazeConfigSchema.safeParse(config);
  if (!parsed.success) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `Invalid gridmaze config: ${describeIssues(parsed.error, 'config')}`,
    );
  }
  return parsed.data;
}

export class GridMazeEnv implements VecEnv {
  readonly numEnvs: number;
  readonly obsShape: readonly [number, number, number];
  readonly obsSize: number;
  readonly numActions = 4;
  readonly rewardNames: readonly string[];
  readonly trainRewardIndex: number;
  readonly kinds: readonly ObjectKind[];
  readonly config: GridMazeConfig;
  readonly rewards: CompiledRewards;

  private readonly state: GridMazeState;
  private readonly geometry: GridMazeGeometry;
  private readonly writeObs: ObsWriter;
  /** Undiscounted return so far per reward, reward-major [R × N]. */
  private readonly returns: Float64Array;
  private readonly obsBuffers: [Float32Array, Float32Array];
  private current = 0;
  private readonly finalObs: Float32Array;
  private readonly trainRewards: Float32Array;
  private readonly allRewards: Float32Array;
  private readonly terminated: Uint8Array;
  private readonly truncated: Uint8Array;
  private readonly events: Uint8Array;

  constructor(config: GridMazeConfigInput, rewards: readonly RewardSpec[], options: GridMazeOptions) {
    const { numEnvs, seed } = options;
    if (!Number.isInteger(numEnvs) || numEnvs < 1) {
      throw new DeltascopeError('INVALID_SPEC', `numEnvs must be a positive integer; got ${numEnvs}`);
    }
    this.config = parseGridMazeConfig(config);
    this.rewards = compileRewards(rewards, this.config);
    this.rewardNames = this.rewards.names;
    const train = options.trainReward ?? this.rewardNames[0];
    this.trainRewardIndex = this.rewardNames.indexOf(train as string);
    if (this.trainRewardIndex < 0) {
      throw new DeltascopeError(
        'INVALID_SPEC',
        `trainReward "${train}" is not one of this environment's rewards (${this.rewardNames.join(', ')})`,
      );
    }
    this.numEnvs = numEnvs;
    this.kinds = this.config.kinds;
    const observed = observationShape(this.config);
    this.obsShape = [observed.channels.length, observed.height, observed.width];
    this.obsSize = observed.channels.length * observed.height * observed.width;
    this.writeObs = this.config.view === 'egocentric' ? writeEgocentricObs : writeGlobalObs;
    this.state = createState(this.config, numEnvs, seed);
    this.geometry = createGeometry(this.config);
    this.returns = new Float64Array(this.rewardNames.length * numEnvs);
    this.obsBuffers = [new Float32Array(numEnvs * this.obsSize), new Float32Array(numEnvs * this.obsSize)];
    this.finalObs = new Float32Array(numEnvs * this.obsSize);
    this.trainRewards = new Float32Array(numEnvs);
    this.allRewards = new Float32Array(this.rewardNames.length * numEnvs);
    this.terminated = new Uint8Array(numEnvs);
    this.truncated = new Uint8Array(numEnvs);
    this.events = new Uint8Array(this.rewards.featureCount);
    for (let i = 0; i < numEnvs; i++) this.resetOne(i);
  }

  reset(): Float32Array {
    for (let i = 0; i < this.numEnvs; i++) this.resetOne(i);
    return this.observe();
  }

  /** Writes the current observations of every env into the next obs buffer and returns it. */
  observe(): Float32Array {
    this.current ^= 1;
    const obs = this.obsBuffers[this.current] as Float32Array;
    for (let i = 0; i < this.numEnvs; i++) this.writeObs(this.state, i, obs, i * this.obsSize);
    return obs;
  }

  step(actions: Int32Array): StepResult {
    const n = this.numEnvs;
    if (actions.length !== n) {
      throw new DeltascopeError(
        'SHAPE_MISMATCH',
        `actions has length ${actions.length}; expected numEnvs = ${n}`,
      );
    }
    for (let i = 0; i < n; i++) {
      const a = actions[i] as number;
      if (!(a >= 0 && a <= 3 && Number.isInteger(a))) {
        throw new DeltascopeError(
          'INVALID_PAYLOAD',
          `actions[${i}] = ${a}; actions are 0 up, 1 down, 2 left, 3 right`,
        );
      }
    }
    const { state, geometry, rewards, events, allRewards, returns } = this;
    const rewardCount = this.rewardNames.length;
    const terminateAny = this.config.terminateOn === 'any';
    const horizon = this.config.horizon;
    const episodes: EpisodeRecord[] = [];
    for (let i = 0; i < n; i++) {
      const collected = advanceEnv(state, geometry, i, actions[i] as number, events);
      for (let r = 0; r < rewardCount; r++) {
        const value = rewardFromEvents(rewards, r, events, 0);
        allRewards[r * n + i] = value;
        returns[r * n + i] = (returns[r * n + i] as number) + value;
      }
      this.trainRewards[i] = allRewards[this.trainRewardIndex * n + i] as number;
      const terminated = terminateAny && collected;
      const truncated = !terminated && (state.step[i] as number) >= horizon;
      this.terminated[i] = terminated ? 1 : 0;
      this.truncated[i] = truncated ? 1 : 0;
      if (terminated || truncated) {
        this.writeObs(state, i, this.finalObs, i * this.obsSize);
        episodes.push(this.episodeRecord(i));
        this.resetOne(i);
      }
    }
    return {
      obs: this.observe(),
      rewards: this.trainRewards,
      allRewards,
      terminated: this.terminated,
      truncated: this.truncated,
      finalObs: this.finalObs,
      episodes,
    };
  }

  snapshot(): GridMazeSnapshot {
    return takeSnapshot(this.config, this.rewardNames, this.state, this.returns);
  }

  restore(snapshot: unknown): void {
    restoreSnapshot(snapshot, this.config, this.rewardNames, this.state, this.returns);
  }

  /** Plain-data picture of env i (walls, agent, objects still present, step), for viewers and tests. */
  layout(envIndex: number): GridMazeLayout {
    this.checkEnvIndex(envIndex);
    const { size, walls, agent, objects, kindCount } = this.state;
    const cells = size * size;
    const here = agent[envIndex] as number;
    const present: GridMazeLayout['objects'] = [];
    this.kinds.forEach((kind, k) => {
      const at = objects[envIndex * kindCount + k] as number;
      if (at >= 0) present.push({ kind, row: Math.floor(at / size), col: at % size });
    });
    return {
      size,
      walls: Array.from(walls.subarray(envIndex * cells, (envIndex + 1) * cells)),
      agent: { row: Math.floor(here / size), col: here % size },
      objects: present,
      step: this.state.step[envIndex] as number,
    };
  }

  /**
   * Replaces env i's episode by a hand-drawn one (text as in layout.ts: `#` wall, `.` open, `A` agent,
   * object letters; kinds left out are absent). Starts a new episode at step 0 with zero returns.
   */
  setLayout(envIndex: number, text: string): void {
    this.checkEnvIndex(envIndex);
    const parsed = parseLayout(text, this.config.size, this.kinds);
    const { cells } = this.geometry;
    this.state.walls.set(parsed.walls, envIndex * cells);
    this.state.agent[envIndex] = parsed.agent;
    this.state.objects.set(parsed.objects, envIndex * this.kinds.length);
    this.startEpisode(envIndex);
  }

  private resetOne(i: number): void {
    resetEnv(this.state, this.geometry, this.config.loops, i);
    this.startEpisode(i);
  }

  private startEpisode(i: number): void {
    beginEpisode(this.state, this.geometry, i);
    for (let r = 0; r < this.rewardNames.length; r++) this.returns[r * this.numEnvs + i] = 0;
  }

  private episodeRecord(i: number): EpisodeRecord {
    const K = this.kinds.length;
    const record: EpisodeRecord = {
      envIndex: i,
      returns: {},
      length: this.state.step[i] as number,
      collected: {},
      collectedAtStep: {},
      success: {},
    };
    this.kinds.forEach((kind, k) => {
      const at = this.state.collectedAt[i * K + k] as number;
      record.collected[kind] = at > 0;
      if (at > 0) record.collectedAtStep[kind] = at;
    });
    this.rewardNames.forEach((name, r) => {
      record.returns[name] = this.returns[r * this.numEnvs + i] as number;
      let success = false;
      for (let k = 0; k < K; k++) {
        if (this.rewards.rewarded[r * K + k] === 1 && (this.state.collectedAt[i * K + k] as number) > 0)
          success = true;
      }
      record.success[name] = success;
    });
    return record;
  }

  private checkEnvIndex(envIndex: number): void {
    if (!Number.isInteger(envIndex) || envIndex < 0 || envIndex >= this.numEnvs) {
      throw new DeltascopeError('INVALID_SPEC', `envIndex ${envIndex} is outside [0, ${this.numEnvs})`);
    }
  }
}
