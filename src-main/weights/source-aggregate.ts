import { DeltascopeError } from '../shared/errors';
import { aggregateTensor, type AggregatorSpec } from './aggregate';
import { checkDareParams, dareChunk, dareRngs, dareScaling } from './aggregate-dare';
import { checkTiesParams, type TrimRule } from './aggregate-ties';
import { combineArrays } from './arithmetic';
import { DEFAULT_MEMORY_BUDGET_BYTES } from './diff-stream';
import {
  nativeAggregateAvailable,
  nativeDare,
  nativeMean,
  nativeMedian,
  type NativeBase,
} from './native-aggregate';
import type { SafetensorsDtype } from './formats/safetensors-header';
import type { Rng } from '../shared/random';
import { chunkElementsForInputs, commonDtype, matchSourceList, type ChunkedSource } from './source-combine';
import { chunkRanges, missingTensor, type SourceTensor, type TensorSource } from './tensor-source';
import { streamedTrimRules, tiesBefore, tiesChunk } from './ties-stream';

/**
 * An aggregation of Δᵢ = θᵢ − θ_base over lazy sources, as a TensorSource computed when read (and so
 * written to a sharded folder, or stored, in bounded memory): with `merge`, θ_base + m (a merged
 * model, e.g. TIES), else the map m itself. Per tensor:
 * - mean, median, mean-abs, sign-agreement, variance-ratio and DARE are elementwise: each chunk of
 *   the inputs gives that chunk of m (DARE's mask streams continue from chunk to chunk);
 * - TIES holds the tensor's deltas whole when they fit the budget, else streams them three times
 *   (two passes for every delta's exact trim threshold at once, ties-stream.ts, then the merge);
 * - null-normalized needs the whole tensor (its floor is a median over it): over the budget it is
 *   INVALID_SPEC naming the tensor and the bytes it needs.
 * With the addon built, mean, mean-abs, median and DARE take each chunk of the checkpoints straight
 * into C, which forms θᵢ − θ_base, aggregates and adds the base back as it reads (native-aggregate.ts).
 * Every path gives exactly aggregateTensor's values. Reads are fastest in order (the writers' way).
 */

export interface AggregatedSourceInput {
  spec: AggregatorSpec;
  base: TensorSource;
  /** The fine-tuned checkpoints; each contributes Δᵢ = θᵢ − θ_base. */
  deltas: readonly TensorSource[];
  /** null-normalized: the null controls (θ − θ_base each). */
  nulls?: readonly TensorSource[];
  /** Output θ_base + m (a merged model) instead of m. Only for mean, median, TIES and DARE. */
  merge?: boolean;
  /** dtype of the output; default the base's (merge) or F32 (a map). */
  dtype?: SafetensorsDtype;
  /** Bytes the aggregation and a writer's chunk may hold (default 1 GiB). */
  memoryBudgetBytes?: number;
  label?: string;
}

/** `chunkElements`: the chunk a writer should read in, so its own buffers stay inside the budget. */
export type AggregatedSource = ChunkedSource;

const MERGEABLE = new Set<AggregatorSpec['kind']>(['mean', 'median', 'ties', 'dare']);
/** Per element, beyond the inputs' chunks: the aggregator's float64/float32 temporaries. */
const TEMPORARY_BYTES = 24;
/** Per element: a writer's float32 chunk and its encoded bytes. */
const WRITER_BYTES = 12;
/** The aggregators whose C kernels take checkpoints and the base (no deltas formed first). */
const FROM_CHECKPOINTS = new Set<AggregatorSpec['kind']>(['mean', 'mean-abs', 'median', 'dare']);

/** m (θ_base + m with `from.merge`) of one chunk, in C, from checkpoints θᵢ; rngs: DARE's streams. */
function aggregateFromCheckpoints(
  spec: AggregatorSpec,
  thetas: readonly Float32Array[],
  from: NativeBase,
  rngs: readonly Rng[],
  out: Float32Array,
): boolean {
  switch (spec.kind) {
    case 'mean':
      return nativeMean(thetas, false, out, from);
    case 'mean-abs':
      return nativeMean(thetas, true, out, from);
    case 'median':
      return nativeMedian(thetas, out, from);
    case 'dare': {
      const { p, rescale, divisor } = dareScaling(spec, thetas.length);
      return nativeDare(thetas, rngs, p, rescale, divisor, out, from);
    }
    default:
      return false;
  }
}

/** Working set per element when a tensor is held whole: base, deltas, output, temporaries. */
function wholeBytesPerElement(inputs: number): number {
  return 4 * (inputs + 1) + TEMPORARY_BYTES + 4;
}

function checkSpec(input: AggregatedSourceInput): void {
  const { spec } = input;
  if (input.deltas.length === 0)
    throw new DeltascopeError('INVALID_SPEC', `${spec.kind} needs at least one delta`);
  if (spec.kind === 'ties') checkTiesParams(spec);
  if (spec.kind === 'dare') checkDareParams(spec);
  if (spec.kind === 'null-normalized' && (input.nulls ?? []).length === 0) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      'null-normalized needs at least one null control (θ_null − θ_base)',
    );
  }
  if (spec.kind === 'variance-ratio' && spec.groups.length !== input.deltas.length) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `variance-ratio needs one group per delta: ${input.deltas.length} deltas but ${spec.groups.length} groups`,
    );
  }
  if (input.merge === true && !MERGEABLE.has(spec.kind)) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `${spec.kind} gives a relevance map, not a weight update: write it without merging into the base (merge works with mean, median, ties and dare)`,
    );
  }
}

export function aggregatedSource(input: AggregatedSourceInput): AggregatedSource {
  checkSpec(input);
  const { spec, base } = input;
  // Only null-normalized reads null controls.
  const nulls = spec.kind === 'null-normalized' ? (input.nulls ?? []) : [];
  const others = [...input.deltas, ...nulls];
  const inputs = [base, ...others];
  const budget = input.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES;
  const tensors: SourceTensor[] = matchSourceList(inputs).map((t) => ({
    ...t,
    shape: [...t.shape],
    dtype: input.dtype ?? (input.merge === true ? commonDtype([base], t.name) : 'F32'),
  }));
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const label = input.label ?? `${spec.kind} of ${input.deltas.length} deltas over ${base.label}`;
  const chunk = chunkElementsForInputs(budget, inputs.length, TEMPORARY_BYTES + WRITER_BYTES);
  const n = input.deltas.length;
  let scratch: Float32Array[] = [];
  let peak = 0;

  /** Reads [start, start + length) of every input; deltas (and nulls) minus the base, in place, unless not `subtract`. */
  const readInputs = (
    name: string,
    start: number,
    length: number,
    subtract = true,
  ): { b: Float32Array; ds: Float32Array[] } => {
    if (scratch.length === 0) {
      const largest = tensors.reduce((max, t) => Math.max(max, t.count), 0);
      scratch = inputs.map(() => new Float32Array(Math.max(1, Math.min(chunk, largest))));
    }
    const parts = inputs.map((source, i) => {
      const part = scratch[i]!.subarray(0, length);
      source.read(name, start, part);
      return part;
    });
    const b = parts[0]!;
    const ds = parts.slice(1).map((theta) => (subtract ? combineArrays([1, -1], [theta, b], theta) : theta));
    const held = scratch.reduce((sum, s) => sum + s.byteLength, 0) + TEMPORARY_BYTES * length;
    peak = Math.max(peak, held + inputs.reduce((sum, s) => sum + s.peakBytesHeld(), 0));
    return { b, ds };
  };

  /** m (or θ_base + m) of a whole tensor, when it fits the budget. */
  let whole: { name: string; data: Float32Array } | null = null;
  // The inputs of a tensor held whole, kept from tensor to tensor (grown to the largest so far):
  // fresh arrays of tens of MB per tensor cost more in page faults than the merge. Released before a
  // streamed tensor, whose chunks have the budget to themselves.
  let pool: Float32Array[] = [];
  const computeWhole = (tensor: SourceTensor): Float32Array => {
    if (whole?.name === tensor.name) return whole.data;
    whole = null;
    if (pool.length === 0 || pool[0]!.length < tensor.count)
      pool = inputs.map(() => new Float32Array(tensor.count));
    const poolBytes = pool.reduce((sum, a) => sum + a.byteLength, 0);
    const bytes = poolBytes + tensor.count * (wholeBytesPerElement(inputs.length) - 4 * inputs.length);
    const arrays = inputs.map((source, i) => {
      const data = pool[i]!.subarray(0, tensor.count);
      if (tensor.count > 0) source.read(tensor.name, 0, data);
      return data;
    });
    const b = arrays[0]!;
    const ds = arrays.slice(1).map((theta) => combineArrays([1, -1], [theta, b], theta));
    const map = aggregateTensor(spec, {
      name: tensor.name,
      deltas: ds.slice(0, n),
      ...(nulls.length === 0 ? {} : { nullDeltas: ds.slice(n) }),
    });
    const data = input.merge === true ? combineArrays([1, 1], [b, map], map) : map;
    peak = Math.max(peak, bytes + inputs.reduce((sum, s) => sum + s.peakBytesHeld(), 0));
    whole = { name: tensor.name, data };
    return data;
  };
  const fitsWhole = (tensor: SourceTensor) => tensor.count * wholeBytesPerElement(inputs.length) <= budget;

  /** TIES streamed: each delta's trim rule, and the ties it may still keep at `next`. */
  let ties: { name: string; rules: TrimRule[]; left: number[]; next: number; lambda: number } | null = null;
  const tiesState = (tensor: SourceTensor, start: number) => {
    if (spec.kind !== 'ties') throw new Error('unreachable');
    if (ties?.name !== tensor.name) {
      const keep = Math.ceil(spec.density * tensor.count);
      const rules = streamedTrimRules(
        (visit) => {
          for (const [from, to] of chunkRanges(tensor.count, chunk))
            visit(readInputs(tensor.name, from, to - from).ds.slice(0, n));
        },
        n,
        keep,
      );
      ties = {
        name: tensor.name,
        rules,
        left: rules.map((r) => r.tieBudget),
        next: 0,
        lambda: spec.lambda ?? 1,
      };
    }
    if (ties.next !== start) {
      // Not where the last read ended: count the ties each delta met before `start`.
      const state = ties;
      state.left = state.rules.map((r) => r.tieBudget);
      for (const [from, to] of chunkRanges(start, chunk)) {
        readInputs(tensor.name, from, to - from).ds.forEach((d, i) => {
          state.left[i] = state.left[i]! - tiesBefore(d, state.rules[i]!);
        });
      }
      state.next = start;
    }
    return ties;
  };

  /** DARE: the mask streams of the tensor, standing at `next`. */
  let dare: { name: string; rngs: Rng[]; next: number } | null = null;
  const dareState = (tensor: SourceTensor, start: number) => {
    if (spec.kind !== 'dare') throw new Error('unreachable');
    if (dare?.name !== tensor.name || dare.next !== start) {
      const rngs = dareRngs(spec.seed, tensor.name, n);
      for (const rng of rngs) for (let j = 0; j < start; j++) rng.float();
      dare = { name: tensor.name, rngs, next: start };
    }
    return dare;
  };

  const readChunked = (tensor: SourceTensor, start: number, out: Float32Array): void => {
    pool = [];
    const native = FROM_CHECKPOINTS.has(spec.kind) && nativeAggregateAvailable();
    for (const [from, to] of chunkRanges(out.length, chunk)) {
      const at = start + from;
      // Before this range is read: finding the trim rules reads the tensor through the same buffers.
      const tiesNow = spec.kind === 'ties' ? tiesState(tensor, at) : null;
      const { b, ds } = readInputs(tensor.name, at, to - from, !native);
      const part = out.subarray(from, to);
      if (native) {
        const dareNow = spec.kind === 'dare' ? dareState(tensor, at) : null;
        const withBase = { base: b, merge: input.merge === true };
        if (!aggregateFromCheckpoints(spec, ds.slice(0, n), withBase, dareNow?.rngs ?? [], part))
          throw new DeltascopeError(
            'INTERNAL',
            `${tensor.name}: the native addon has no C kernel for the ${spec.kind} aggregator, though it was chosen for it`,
          );
        if (dareNow !== null) dareNow.next = at + part.length;
        continue;
      }
      if (tiesNow !== null) {
        const state = tiesNow;
        tiesChunk(ds.slice(0, n), state.rules, state.left, state.lambda, part);
        state.next = at + part.length;
      } else if (spec.kind === 'dare') {
        const state = dareState(tensor, at);
        part.set(dareChunk(ds.slice(0, n), spec, state.rngs));
        state.next = at + part.length;
      } else {
        part.set(aggregateTensor(spec, { name: tensor.name, deltas: ds.slice(0, n) }));
      }
      if (input.merge === true) combineArrays([1, 1], [b, part], part);
    }
  };

  return {
    label,
    tensors,
    metadata: {},
    chunkElements: chunk,
    read(name, start, out) {
      const tensor = byName.get(name);
      if (tensor === undefined) throw missingTensor(label, name);
      if (out.length === 0) return;
      const holdWhole = spec.kind === 'null-normalized' || (spec.kind === 'ties' && fitsWhole(tensor));
      if (!holdWhole) return readChunked(tensor, start, out);
      if (!fitsWhole(tensor)) {
        throw new DeltascopeError(
          'INVALID_SPEC',
          `null-normalized needs tensor \`${name}\` whole with its ${others.length} deltas (${tensor.count * wholeBytesPerElement(inputs.length)} bytes), over the memory budget of ${budget} bytes; raise the budget`,
          { tensor: name, budget },
        );
      }
      out.set(computeWhole(tensor).subarray(start, start + out.length));
    },
    peakBytesHeld: () => peak,
    close() {
      scratch = [];
      pool = [];
      whole = null;
      ties = null;
      dare = null;
    },
  };
}
