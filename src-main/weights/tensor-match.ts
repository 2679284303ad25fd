import { DeltascopeError } from '../shared/errors';
import { formatShape, type TensorMap } from './tensor-map';

/** Anything that names tensors with their shapes: a TensorMap, or a lazy source's listing. */
export type ShapeMap = ReadonlyMap<string, { readonly shape: readonly number[] }>;

/** Why a tensor cannot be paired across checkpoints. */
export type TensorMismatch =
  | { kind: 'shape'; name: string; shapes: (number[] | null)[] }
  | { kind: 'missing'; name: string; presentIn: string[]; missingIn: string[] };

export interface TensorMatch {
  /** Names present with the same shape in every map, in the first map's order. */
  common: string[];
  mismatches: TensorMismatch[];
}

/** Listed in full in `details`; the message stops after this many so it stays readable. */
const MAX_LISTED = 12;

/** Default labels: A, B, C, … */
export function defaultLabels(count: number): string[] {
  return Array.from({ length: count }, (_, i) => (i < 26 ? String.fromCharCode(65 + i) : `#${i + 1}`));
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}

/**
 * Pairs tensors across maps by name. A name is common when every map has it with the same shape;
 * otherwise it is a mismatch (a shape difference, or missing from some maps).
 */
export function matchTensorMaps(maps: readonly ShapeMap[], labels = defaultLabels(maps.length)): TensorMatch {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const map of maps) {
    for (const name of map.keys()) {
      if (!seen.has(name)) {
        seen.add(name);
        names.push(name);
      }
    }
  }
  const common: string[] = [];
  const mismatches: TensorMismatch[] = [];
  for (const name of names) {
    const tensors = maps.map((map) => map.get(name));
    const missingIn = labels.filter((_, i) => tensors[i] === undefined);
    if (missingIn.length > 0) {
      mismatches.push({
        kind: 'missing',
        name,
        presentIn: labels.filter((_, i) => tensors[i] !== undefined),
        missingIn,
      });
      continue;
    }
    const first = tensors[0]?.shape ?? [];
    if (tensors.every((t) => t !== undefined && sameShape(t.shape, first))) common.push(name);
    else mismatches.push({ kind: 'shape', name, shapes: tensors.map((t) => (t ? [...t.shape] : null)) });
  }
  return { common, mismatches };
}

function describeOne(mismatch: TensorMismatch, labels: readonly string[]): string {
  if (mismatch.kind === 'shape') {
    const parts = mismatch.shapes.map(
      (shape, i) => `${labels[i]} has ${shape ? formatShape(shape) : 'none'}`,
    );
    return `tensor \`${mismatch.name}\`: ${parts.join(', ')}`;
  }
  if (mismatch.presentIn.length === 1) return `\`${mismatch.name}\` only in ${mismatch.presentIn[0]}`;
  return `\`${mismatch.name}\` missing from ${mismatch.missingIn.join(', ')}`;
}

/** "tensor `torso.dense1.kernel`: A has [484,256], B has [363,256]; `value.bias` only in B" */
export function describeMismatches(mismatches: readonly TensorMismatch[], labels: readonly string[]): string {
  const listed = mismatches.slice(0, MAX_LISTED).map((m) => describeOne(m, labels));
  if (mismatches.length > MAX_LISTED) listed.push(`and ${mismatches.length - MAX_LISTED} more`);
  return listed.join('; ');
}

/** The SHAPE_MISMATCH error for `mismatches`, listing each one and carrying them all in `details`. */
export function mismatchError(
  mismatches: readonly TensorMismatch[],
  labels: readonly string[],
): DeltascopeError {
  const who = labels.length === 2 ? `${labels[0]} and ${labels[1]}` : labels.join(', ');
  return new DeltascopeError(
    'SHAPE_MISMATCH',
    `${who} do not have the same tensors: ${describeMismatches(mismatches, labels)}`,
    { mismatches: mismatches.map((m) => ({ ...m })), labels: [...labels] },
  );
}

/** Returns the common names; throws SHAPE_MISMATCH listing every mismatch if there is any. */
export function assertMatchingTensors(
  maps: readonly TensorMap[],
  labels = defaultLabels(maps.length),
): string[] {
  const { common, mismatches } = matchTensorMaps(maps, labels);
  if (mismatches.length > 0) throw mismatchError(mismatches, labels);
  return common;
}
