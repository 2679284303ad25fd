import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accumulateDelta,
  createDeltaAccumulator,
  deltaStats,
  finishDeltaStats,
  type DeltaStats,
} from '../../../src-main/weights/delta-stats';
import { diffSources } from '../../../src-main/weights/diff-stream';
import { openSafetensorsSource } from '../../../src-main/weights/formats/safetensors-reader';
import { nativeDeltaAvailable, setNativeDelta } from '../../../src-main/weights/native-delta';

/**
 * The streamed diff (decode per chunk + the fused kernel + the unchanged-chunk shortcut + merges)
 * against a plain reference: values decoded bit by bit through a DataView and every statistic
 * summed naively in float64, on random BF16/F16/F32 data with NaN, ±∞, subnormals and ±0 — with the
 * native pass over raw bytes (native-delta.ts) when the addon is built, and with the JS kernel.
 */

const dir = mkdtempSync(join(tmpdir(), 'deltascope-reference-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Dtype = 'BF16' | 'F16' | 'F32';
const FIELDS: Record<Dtype, { exponent: number; mantissa: number }> = {
  BF16: { exponent: 8, mantissa: 7 },
  F16: { exponent: 5, mantissa: 10 },
  F32: { exponent: 8, mantissa: 23 },
};

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

/** Bit patterns: mostly values near ±2^-5…2^5, with NaN, ±∞, subnormals and ±0 mixed in; `wild` = any bits. */
function patterns(dtype: Dtype, count: number, seed: number, wild: boolean): number[] {
  const { exponent, mantissa } = FIELDS[dtype];
  const random = lcg(seed);
  const bias = 2 ** (exponent - 1) - 1;
  const top = 2 ** exponent - 1;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const sign = random() < 0.5 ? 1 : 0;
    const m = Math.floor(random() * 2 ** mantissa);
    const pick = random();
    let e = bias - 5 + Math.floor(random() * 11);
    if (wild) e = Math.floor(random() * (top + 1));
    else if (pick < 0.02)
      e = top; // NaN when m ≠ 0, else ±∞
    else if (pick < 0.04)
      e = 0; // subnormal (or ±0 when m = 0)
    else if (pick < 0.05) {
      out.push(sign * 2 ** (exponent + mantissa));
      continue;
    }
    out.push(sign * 2 ** (exponent + mantissa) + e * 2 ** mantissa + m);
  }
  return out;
}

function bytesOf(dtype: Dtype, bits: number[]): Uint8Array {
  const width = dtype === 'F32' ? 4 : 2;
  const out = new Uint8Array(bits.length * width);
  const view = new DataView(out.buffer);
  bits.forEach((b, i) => (width === 4 ? view.setUint32(i * 4, b, true) : view.setUint16(i * 2, b, true)));
  return out;
}

/** The reference decoder: float value of one pattern, by the formats' definitions. */
function valueOf(dtype: Dtype, bits: number): number {
  const view = new DataView(new ArrayBuffer(4));
  if (dtype === 'F32') view.setUint32(0, bits);
  else if (dtype === 'BF16') view.setUint32(0, bits * 65536);
  else {
    const sign = bits >= 0x8000 ? -1 : 1;
    const e = (bits >> 10) & 0x1f;
    const m = bits & 0x3ff;
    if (e === 31) return m === 0 ? sign * Infinity : NaN;
    return e === 0 ? sign * 2 ** -14 * (m / 1024) : sign * 2 ** (e - 15) * (1 + m / 1024);
  }
  return view.getFloat32(0);
}

function file(name: string, dtype: Dtype, tensors: [string, number[]][]): string {
  const header: Record<string, unknown> = {};
  const blobs = tensors.map(([, bits]) => bytesOf(dtype, bits));
  let offset = 0;
  tensors.forEach(([tensor], i) => {
    header[tensor] = {
      dtype,
      shape: [tensors[i]![1].length],
      data_offsets: [offset, offset + blobs[i]!.length],
    };
    offset += blobs[i]!.length;
  });
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const blob of blobs) {
    out.set(blob, at);
    at += blob.length;
  }
  const path = join(dir, name);
  writeFileSync(path, out);
  return path;
}

/** Naive float64 statistics of b − a, checked against the fast result's figures. */
function expectMatchesReference(fast: DeltaStats, a: number[], b: number[], epsilon = 1e-6): void {
  const deltas: number[] = [];
  let nonFinite = 0;
  let [sa2, sb2, sab, maxAbs, above, flips] = [0, 0, 0, 0, 0, 0];
  a.forEach((av, i) => {
    const bv = b[i]!;
    if (!Number.isFinite(av) || !Number.isFinite(bv)) {
      nonFinite++;
      return;
    }
    const d = bv - av;
    deltas.push(d);
    sa2 += av * av;
    sb2 += bv * bv;
    sab += av * bv;
    maxAbs = Math.max(maxAbs, Math.abs(d));
    if (Math.abs(d) > epsilon) above++;
    if (av * bv < 0) flips++;
  });
  const count = deltas.length;
  const mean = deltas.reduce((s, d) => s + d, 0) / count;
  const sd2 = deltas.reduce((s, d) => s + d * d, 0);
  const rms = Math.sqrt(sd2 / count);
  const std = Math.sqrt(deltas.reduce((s, d) => s + (d - mean) ** 2, 0) / count);
  const close = (x: number | null, y: number, scale: number) =>
    expect(Math.abs((x ?? NaN) - y)).toBeLessThanOrEqual(1e-9 * scale);
  expect(fast.count).toBe(count);
  expect(fast.nonFinite).toBe(nonFinite);
  expect(fast.maxAbs).toBe(maxAbs);
  expect(fast.aboveEpsilon).toBe(above);
  expect(fast.signFlips).toBe(flips);
  close(fast.mean, mean, rms);
  close(fast.std, std, rms);
  close(fast.l2, Math.sqrt(sd2), Math.sqrt(sd2));
  close(fast.normA, Math.sqrt(sa2), Math.sqrt(sa2));
  close(fast.normB, Math.sqrt(sb2), Math.sqrt(sb2));
  close(fast.cosine, sab / Math.sqrt(sa2 * sb2), 1);
  // Histogram: limit just above max|Δ|, and each Δ in the bin whose [lower, upper) holds it.
  const { limit, counts } = fast.histogram;
  expect(limit).toBeGreaterThan(maxAbs);
  expect(limit).toBeLessThanOrEqual(maxAbs * (1 + 2 / 32));
  const width = (2 * limit) / counts.length;
  const expected = new Array<number>(counts.length).fill(0);
  for (const d of deltas) {
    let k = Math.floor((d + limit) / width);
    while (k > 0 && -limit + k * width > d) k--;
    while (k < counts.length - 1 && -limit + (k + 1) * width <= d) k++;
    expected[k]!++;
  }
  expect(counts).toEqual(expected);
}

const kernels = nativeDeltaAvailable() ? (['native', 'JS'] as const) : (['JS'] as const);

describe.each(kernels)('streamed diff against a plain reference (%s pass)', (kernel) => {
  beforeAll(() => {
    expect(setNativeDelta(kernel === 'native')).toBe(kernel === 'native');
  });
  afterAll(() => setNativeDelta(true));

  for (const dtype of ['BF16', 'F16', 'F32'] as const) {
    for (const wild of [false, true]) {
      it(`${dtype}${wild ? ', any bit patterns' : ''}: every statistic per tensor and for the model`, () => {
        const n = 5000;
        const baseA = patterns(dtype, n, 1, wild);
        // Changed: a quarter of the elements re-drawn; unchanged: bit-identical; rewritten: all re-drawn.
        const redraw = patterns(dtype, n, 2, wild);
        const changed = baseA.map((bits, i) => (i % 4 === 1 ? redraw[i]! : bits));
        const frozen = patterns(dtype, n, 3, wild);
        const rewrittenA = patterns(dtype, 1234, 4, wild);
        const rewrittenB = patterns(dtype, 1234, 5, wild);
        const pathA = file(`a-${dtype}-${wild}.safetensors`, dtype, [
          ['changed', baseA],
          ['frozen', frozen],
          ['rewritten', rewrittenA],
        ]);
        const pathB = file(`b-${dtype}-${wild}.safetensors`, dtype, [
          ['changed', changed],
          ['frozen', frozen],
          ['rewritten', rewrittenB],
        ]);
        const a = openSafetensorsSource(pathA);
        const b = openSafetensorsSource(pathB);
        // 24 000 bytes → chunks of 1000 elements: several chunks per tensor, partial last chunks.
        const diff = diffSources(a, b, { memoryBudgetBytes: 24_000 });
        a.close();
        b.close();
        const decode = (bits: number[]) => bits.map((x) => valueOf(dtype, x));
        const pairs: [number[], number[]][] = [
          [decode(baseA), decode(changed)],
          [decode(frozen), decode(frozen)],
          [decode(rewrittenA), decode(rewrittenB)],
        ];
        expect(diff.tensors.map((t) => t.name)).toEqual(['changed', 'frozen', 'rewritten']);
        pairs.forEach(([x, y], i) => {
          if (i === 1) expect(diff.tensors[i]!.stats.l2).toBe(0);
          else expectMatchesReference(diff.tensors[i]!.stats, x, y);
        });
        expect(diff.tensors[1]!.stats.count + diff.tensors[1]!.stats.nonFinite).toBe(n);
        const frozenNorm = Math.sqrt(pairs[1]![0].filter(Number.isFinite).reduce((s, v) => s + v * v, 0));
        expect(Math.abs(diff.tensors[1]!.stats.normA - frozenNorm)).toBeLessThanOrEqual(1e-12 * frozenNorm);
        expect(diff.tensors[1]!.stats.normB).toBe(diff.tensors[1]!.stats.normA);
        expectMatchesReference(
          diff.model,
          pairs.flatMap(([x]) => x),
          pairs.flatMap(([, y]) => y),
        );
      });
    }
  }
});

describe('the JS kernel', () => {
  it('an unchanged chunk gives bit for bit what the full kernel gives', () => {
    for (const wild of [false, true]) {
      const bits = patterns('F32', 70_000, 7, wild);
      const a = new Float32Array(new Uint32Array(bits).buffer);
      const b = a.slice();
      const viaKernel = createDeltaAccumulator();
      // Passing `out` takes the kernel for every element (the shortcut only serves stats-only calls).
      accumulateDelta(viaKernel, a, b, new Float32Array(a.length));
      accumulateDelta(viaKernel, a.subarray(0, 1000), b.subarray(0, 1000), new Float32Array(1000));
      const shortcut = createDeltaAccumulator();
      accumulateDelta(shortcut, a, b);
      accumulateDelta(shortcut, a.subarray(0, 1000), b.subarray(0, 1000));
      expect(finishDeltaStats(shortcut)).toEqual(finishDeltaStats(viaKernel));
      expect(shortcut).toEqual(viaKernel);
      expect(deltaStats(a, a).nonFinite).toBe(bits.filter((x) => (x & 0x7f800000) === 0x7f800000).length);
    }
  });
});
