import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDeltaAccumulator } from '../../../src-main/weights/delta-stats';
import { diffSources } from '../../../src-main/weights/diff-stream';
import { openSafetensorsSource } from '../../../src-main/weights/formats/safetensors-reader';
import { writeSafetensorsFolder } from '../../../src-main/weights/formats/safetensors-writer';
import {
  nativeDeltaMaps,
  setNativeDelta,
  setNativeDeltaMapping,
  startFileDelta,
} from '../../../src-main/weights/native-delta';
import type { SafetensorsDtype } from '../../../src-main/weights/formats/safetensors-header';
import { tensorMapFromTensors } from '../../../src-main/weights/tensor-map';
import { mapSource, type TensorSource } from '../../../src-main/weights/tensor-source';
import { expectError, noise } from './helpers';

/**
 * The native pass over chunks it maps from the files (startFileDelta, no read into buffers) against
 * the same pass over chunks read into buffers and against the JS kernel: every statistic bit for bit,
 * on safetensors folders of each dtype pair; and a file that shrank after it was opened refused with
 * INVALID_FILE. The addon is optional (POSIX builds map): without it these tests are skipped, except
 * where CI requires it built.
 */

const available = nativeDeltaMaps();
const required = process.env.DELTASCOPE_REQUIRE_BLAS === '1' && process.platform !== 'win32';
const dir = mkdtempSync(join(tmpdir(), 'deltascope-mapped-'));
afterAll(() => {
  setNativeDelta(true);
  setNativeDeltaMapping(true);
  rmSync(dir, { recursive: true, force: true });
});

/** Chunks of 2^17 elements: `big` spans three (the last partial), `mid` is one; `small` is too small to map. */
const BUDGET = (1 << 17) * 24;
const COUNTS = { big: 2 * (1 << 17) + 70_000, mid: 70_000, small: 1000 };

/** A folder of the three tensors in `dtype`; `update` re-draws every 16th value (and puts specials in). */
function folder(name: string, dtype: SafetensorsDtype, update: boolean): string {
  const tensors = Object.entries(COUNTS).map(([tensor, count], i) => {
    const data = noise(count, 10 + i, 0.05);
    if (update) {
      const fresh = noise(count, 20 + i, 0.05);
      for (let k = 5; k < count; k += 16) data[k] = fresh[k]!;
      data[7] = Number.NaN;
      data[9] = Number.POSITIVE_INFINITY;
      data[11] = -0;
    }
    return { name: tensor, shape: [count], data };
  });
  const path = join(dir, name);
  writeSafetensorsFolder(path, mapSource(tensorMapFromTensors(tensors), name), {
    dtype,
    maxShardBytes: 500_000,
  });
  return path;
}

/** The source with its raw reads counted by tensor (a mapped chunk is never read). */
function counted(path: string, reads: Map<string, number>): TensorSource {
  const source = openSafetensorsSource(path);
  const readRaw = source.readRaw!.bind(source);
  source.readRaw = (name, start, count, scratch) => {
    reads.set(name, (reads.get(name) ?? 0) + 1);
    return readRaw(name, start, count, scratch);
  };
  return source;
}

describe.runIf(available || required)('native diff pass over mapped file ranges', () => {
  it('is available where CI requires the addon (POSIX)', () => {
    expect(available).toBe(true);
  });

  const pairs: [SafetensorsDtype, SafetensorsDtype][] = [
    ['BF16', 'BF16'],
    ['F16', 'F32'],
    ['F32', 'BF16'],
  ];
  for (const [dtypeA, dtypeB] of pairs) {
    it(`${dtypeA} − ${dtypeB} folders: mapped, read and JS give the same statistics bit for bit`, () => {
      const pathA = folder(`a-${dtypeA}-${dtypeB}`, dtypeA, false);
      const pathB = folder(`b-${dtypeA}-${dtypeB}`, dtypeB, true);
      const run = (): { result: ReturnType<typeof diffSources>; reads: Map<string, number> } => {
        const reads = new Map<string, number>();
        const [a, b] = [counted(pathA, reads), counted(pathB, reads)];
        try {
          return { result: diffSources(a, b, { memoryBudgetBytes: BUDGET }), reads };
        } finally {
          a.close();
          b.close();
        }
      };
      const mapped = run();
      expect(setNativeDeltaMapping(false)).toBe(false);
      const read = run();
      setNativeDeltaMapping(true);
      expect(setNativeDelta(false)).toBe(false);
      const js = run();
      setNativeDelta(true);
      // Only the small tensor went through reads on the mapped path; every chunk on the other.
      expect(mapped.reads).toEqual(new Map([['small', 2]]));
      expect(read.reads.get('big')).toBe(6);
      expect(mapped.result.peakBytesHeld).toBeLessThanOrEqual(BUDGET);
      const stats = (r: typeof mapped) => ({ ...r.result, peakBytesHeld: 0 });
      expect(stats(mapped)).toEqual(stats(read));
      expect(stats(mapped)).toEqual(stats(js));
      expect(mapped.result.model.nonFinite).toBe(6);
    });
  }

  it('a file that shrank after it was opened: INVALID_FILE naming it, before and during the pass', () => {
    const pathA = folder('shrink-a', 'BF16', false);
    const pathB = folder('shrink-b', 'BF16', true);
    const a = openSafetensorsSource(pathA);
    const b = openSafetensorsSource(pathB);
    try {
      const range = b.rawFileRange!('big', 0, COUNTS.big);
      const other = a.rawFileRange!('big', 0, COUNTS.big);
      expect(range).not.toBeNull();
      truncateSync(join(pathB, range!.file.split('/').at(-1)!), range!.position + 1000);
      // Asked for the range now: refused up front.
      const early = expectError(() => diffSources(a, b, { memoryBudgetBytes: BUDGET }), 'INVALID_FILE');
      expect(early.message).toContain(range!.file);
      expect(early.message).toContain('truncated or changed while reading');
      // Handed to the pass before it shrank: the pass finds the file short and says so.
      const pass = startFileDelta(
        createDeltaAccumulator(),
        { dtype: 'BF16', range: other! },
        { dtype: 'BF16', range: range! },
      );
      const late = expectError(() => pass.finish(createDeltaAccumulator()), 'INVALID_FILE');
      expect(late.message).toContain(range!.file);
      expect(late.message).toContain('truncated or changed while reading');
    } finally {
      a.close();
      b.close();
    }
  });
});
