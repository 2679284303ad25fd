import { DeltascopeError } from '../shared/errors';
import type { GridMazeConfig } from '../shared/gridmaze-config';
import type { RewardSpec } from '../shared/reward';

/**
 * Rewards as data. Every reward of an environment is a linear function of the same event features
 * φ(t) = [φ_collect[kind_1 … kind_K], φ_reach[region_1 … region_G]] plus a constant step cost:
 *   r(t) = stepCost + Σ_k collect[k]·φ_collect[k](t) + Σ_g reach[g]·φ_reach[g](t).
 * All rewards share identical dynamics; the environment computes them all on every step.
 */

export interface CompiledRewards {
  names: readonly string[];
  /** Feature names in feature order: the kinds, then `reach:<region>` per region. */
  features: readonly string[];
  kindCount: number;
  featureCount: number;
  /** Weights, reward-major: weights[r·F + f]. */
  weights: Float64Array;
  /** Constant added on every step, per reward. */
  stepCost: Float64Array;
  /** rewarded[r·K + k] = 1 if kind k has weight > 0 in reward r (success = collected one of these). */
  rewarded: Uint8Array;
}

function invalid(message: string): DeltascopeError {
  return new DeltascopeError('INVALID_SPEC', message);
}

function checkWeight(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalid(`${where} must be a finite number; got ${String(value)}`);
  }
  return value;
}

/** Compiles reward specs against an environment; throws INVALID_SPEC naming the reward and what the env lacks. */
export function compileRewards(
  specs: readonly RewardSpec[],
  config: Pick<GridMazeConfig, 'kinds' | 'regions'>,
): CompiledRewards {
  if (specs.length === 0) throw invalid('an environment needs at least one reward; got none');
  const kinds = config.kinds;
  const regions = config.regions.map((region) => region.name);
  const featureCount = kinds.length + regions.length;
  const weights = new Float64Array(specs.length * featureCount);
  const stepCost = new Float64Array(specs.length);
  const rewarded = new Uint8Array(specs.length * kinds.length);
  const seen = new Set<string>();
  specs.forEach((spec, r) => {
    if (typeof spec.name !== 'string' || spec.name.length === 0) throw invalid(`reward ${r} has no name`);
    if (seen.has(spec.name)) throw invalid(`reward name "${spec.name}" is used twice`);
    seen.add(spec.name);
    for (const [kind, weight] of Object.entries(spec.collect ?? {})) {
      const k = (kinds as readonly string[]).indexOf(kind);
      if (k < 0) {
        throw invalid(
          `reward "${spec.name}" weights kind "${kind}", which this environment lacks (kinds: ${kinds.join(', ')})`,
        );
      }
      weights[r * featureCount + k] = checkWeight(weight, `reward "${spec.name}" collect.${kind}`);
      if (weight > 0) rewarded[r * kinds.length + k] = 1;
    }
    for (const [region, weight] of Object.entries(spec.reach ?? {})) {
      const g = regions.indexOf(region);
      if (g < 0) {
        throw invalid(
          `reward "${spec.name}" weights region "${region}", which this environment lacks (regions: ${regions.join(', ') || 'none'})`,
        );
      }
      weights[r * featureCount + kinds.length + g] = checkWeight(
        weight,
        `reward "${spec.name}" reach.${region}`,
      );
    }
    stepCost[r] = checkWeight(spec.stepCost ?? 0, `reward "${spec.name}" stepCost`);
  });
  return {
    names: specs.map((spec) => spec.name),
    features: [...kinds, ...regions.map((name) => `reach:${name}`)],
    kindCount: kinds.length,
    featureCount,
    weights,
    stepCost,
    rewarded,
  };
}

/** r = stepCost[r] + Σ_f weights[r·F + f]·events[offset + f]. */
export function rewardFromEvents(
  compiled: CompiledRewards,
  r: number,
  events: Uint8Array,
  offset: number,
): number {
  const F = compiled.featureCount;
  let value = compiled.stepCost[r] as number;
  for (let f = 0; f < F; f++) if (events[offset + f] !== 0) value += compiled.weights[r * F + f] as number;
  return value;
}

/** The part of a reward that `addComponent` adds. */
export type RewardComponent = Partial<Pick<RewardSpec, 'collect' | 'stepCost' | 'reach'>>;

function addWeights(
  base: Record<string, number>,
  extra: Record<string, number> | undefined,
): Record<string, number> {
  const sum = { ...base };
  for (const [key, weight] of Object.entries(extra ?? {})) sum[key] = (sum[key] ?? 0) + weight;
  return sum;
}

/** RB = RA + component: weights of the component are added to the base's (missing weights count as 0). */
export function addComponent(base: RewardSpec, name: string, component: RewardComponent): RewardSpec {
  return {
    name,
    collect: addWeights(base.collect, component.collect),
    stepCost: base.stepCost + (component.stepCost ?? 0),
    reach: addWeights(base.reach, component.reach),
  };
}
