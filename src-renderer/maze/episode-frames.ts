import type { MethodResponse } from '@shared';

export type EpisodeRecording = MethodResponse<'episodes.record'>;
type Cell = EpisodeRecording['trail'][number];
type PlacedObject = EpisodeRecording['final']['objects'][number];

/** What the viewer shows at position t ∈ [0, length]: t < length is the state before action t. */
export interface EpisodeView {
  t: number;
  /** True at t = length: the state after the last action, which has no action of its own. */
  final: boolean;
  agent: Cell;
  objects: PlacedObject[];
  /** Agent cells from the start to the shown one (t + 1 cells). */
  trail: Cell[];
  /** The frame's action, π(a | s) per action and V(s); null at the final position. */
  action: number | null;
  probs: number[] | null;
  value: number | null;
  /** Rewards of this action per reward name; empty at the final position. */
  rewards: Record<string, number>;
  /** Return per reward accumulated before this position. */
  returnsSoFar: Record<string, number>;
}

/** Positions a player can show: one per frame, plus the final state. */
export function positionCount(recording: EpisodeRecording): number {
  return recording.frames.length + 1;
}

/** The state at position `t` of the recording. */
export function episodeView(recording: EpisodeRecording, t: number): EpisodeView {
  const last = recording.frames.length;
  if (!Number.isInteger(t) || t < 0 || t > last) {
    throw new RangeError(`episodeView: t must be an integer in [0, ${last}], got ${t}`);
  }
  const returnsSoFar: Record<string, number> = Object.fromEntries(recording.rewardNames.map((n) => [n, 0]));
  for (const frame of recording.frames.slice(0, t)) {
    for (const [name, r] of Object.entries(frame.rewards)) returnsSoFar[name] = (returnsSoFar[name] ?? 0) + r;
  }
  const trail = recording.trail.slice(0, t + 1);
  const frame = recording.frames[t];
  if (frame === undefined) {
    return {
      t,
      final: true,
      agent: recording.final.agent,
      objects: recording.final.objects,
      trail,
      action: null,
      probs: null,
      value: null,
      rewards: {},
      returnsSoFar,
    };
  }
  return {
    t,
    final: false,
    agent: frame.agent,
    objects: frame.objects,
    trail,
    action: frame.action,
    probs: frame.probs,
    value: frame.value,
    rewards: frame.rewards,
    returnsSoFar,
  };
}

/** The position after moving `delta` from `t`, clamped to [0, count − 1]. */
export function stepPosition(t: number, delta: number, count: number): number {
  if (count <= 0) return 0;
  return Math.min(count - 1, Math.max(0, Math.round(t + delta)));
}
