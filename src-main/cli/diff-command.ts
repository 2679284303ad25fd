import type { DeltaStatsPayload, DiffComputeResult } from '../shared/contract-weights';
import { parseParams } from '../shared/validate';
import { defineCommand } from './define-command';
import { parseNumber, parseRef, withWeights } from './weights-cli';

function fmt(x: number | null): string {
  if (x === null) return '—';
  if (x === 0) return '0';
  const abs = Math.abs(x);
  return abs >= 1e4 || abs < 1e-3 ? x.toExponential(2) : x.toPrecision(4);
}

const pct = (x: number | null): string => (x === null ? '—' : `${(100 * x).toFixed(1)}%`);

function row(name: string, shape: string, s: DeltaStatsPayload, share: number | null): string[] {
  return [
    name,
    shape,
    String(s.count + s.nonFinite),
    fmt(s.l2),
    fmt(s.relativeL2),
    fmt(s.maxAbs),
    fmt(s.mean),
    fmt(s.std),
    pct(s.fractionAboveEpsilon),
    fmt(s.cosine),
    String(s.signFlips),
    pct(share),
  ];
}

/** Text table: the first two columns left-aligned, numbers right-aligned. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

export function formatDiff(diff: DiffComputeResult): string[] {
  const header = [
    'tensor',
    'shape',
    'params',
    '‖Δ‖',
    '‖Δ‖/‖A‖',
    'max|Δ|',
    'mean',
    'std',
    '|Δ|>ε',
    'cos(A,B)',
    'flips',
    'of ‖Δ‖²',
  ];
  const rows = diff.tensors.map((t) => row(t.name, `[${t.shape.join(',')}]`, t.stats, t.shareOfChange));
  const count = diff.tensors.length;
  const total = row(
    'total',
    `${count} tensor${count === 1 ? '' : 's'}`,
    diff.model,
    diff.tensors.length > 0 ? 1 : null,
  );
  const describe = (side: DiffComputeResult['a']) =>
    side.checkpoint !== null
      ? `${side.label} "${side.checkpoint.label}" (run ${side.runName}, step ${side.checkpoint.step})`
      : side.source === 'relevance-map'
        ? side.label
        : `${side.label} (${side.source} file)`;
  const lines = [
    `A: ${describe(diff.a)}`,
    `B: ${describe(diff.b)}`,
    `Δ = B − A, ε = ${diff.model.epsilon}`,
    '',
    ...table(header, [...rows, total]),
  ];
  if (diff.model.nonFinite > 0) lines.push('', `${diff.model.nonFinite} elements with NaN/±∞ were skipped.`);
  if (diff.skipped.length > 0) {
    lines.push('', `Skipped ${diff.skipped.length} tensors (--partial):`);
    for (const s of diff.skipped) {
      lines.push(
        s.kind === 'shape'
          ? `  ${s.name}: shapes ${s.shapes.map((shape) => (shape ? `[${shape.join(',')}]` : 'none')).join(' vs ')}`
          : `  ${s.name}: only in ${s.presentIn.join(', ')}`,
      );
    }
  }
  return lines;
}

export const diffCommand = defineCommand({
  name: 'diff',
  summary: 'statistics of the weight change between two checkpoints or model files',
  usage: 'diff <a> <b> [--db <file.deltascope>] [options]',
  description: `Statistics of the weight change Δ = B − A, per tensor and for the whole model:
‖Δ‖₂, ‖Δ‖/‖A‖, max |Δ|, mean and std of Δ, the share of |Δ| > ε, cosine(A, B),
sign flips, and each tensor's share of ‖Δ‖². <a> and <b> are checkpoint ids of
the database (12 or #12), relevance maps stored by an aggregation (map:5), or
model files: a .safetensors file, a Hugging Face model folder (its
model.safetensors.index.json and shards, or model.safetensors), a tfjs
model.json or its folder. Files and folders are read chunk by chunk in their own
dtype (F32, F16, BF16, F64), so models larger than memory can be diffed; two
files need no database.`,
  options: {
    db: { type: 'string', value: '<file>', help: 'the database holding the checkpoints' },
    epsilon: { type: 'string', value: '<e>', help: 'threshold of "|Δ| > ε" (default 1e-6)' },
    partial: { type: 'boolean', help: 'diff the tensors both share and list the rest, instead of failing' },
    json: { type: 'boolean', help: 'print the full result (with histograms) as JSON' },
  },
  args: { count: 2, message: 'diff needs two checkpoints or model files: <a> <b>.' },
  async run({ values, positionals }, io) {
    const params = parseParams('diff.compute', {
      a: parseRef(positionals[0]!),
      b: parseRef(positionals[1]!),
      partial: values.partial === true,
      ...(values.epsilon === undefined ? {} : { epsilon: parseNumber(values.epsilon, '--epsilon') }),
    });
    const diff = await withWeights(values.db, io, (handlers) => handlers['diff.compute'](params), 'read');
    if (values.json) io.out(JSON.stringify(diff, null, 2));
    else for (const line of formatDiff(diff)) io.out(line);
    return 0;
  },
});
