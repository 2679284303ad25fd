import type { Rng } from '../../shared/random';
import { DeltascopeError } from '../../shared/errors';

/**
 * Q·gain with Q [rows, cols] having orthonormal rows or columns (whichever are fewer), drawn as
 * torch.nn.init.orthogonal_ does: A ~ N(0,1)^{rows×cols}, transposed to tall, A = QR with diag(R) > 0
 * (here by twice-iterated modified Gram–Schmidt, which yields that unique Q), transposed back.
 * Row-major result; the normals come from `rng` in row-major order of A.
 */
export function orthogonal(rows: number, cols: number, gain: number, rng: Rng): Float32Array {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
    throw new DeltascopeError(
      'SHAPE_MISMATCH',
      `orthogonal(rows, cols) needs positive integers; got [${rows},${cols}]`,
    );
  }
  const tall = rows >= cols;
  const n = Math.max(rows, cols);
  const m = Math.min(rows, cols);
  // cols of the tall matrix, each contiguous: q[j*n + i] = tall[i][j]
  const q = new Float64Array(n * m);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const value = rng.normal();
      if (tall) q[c * n + r] = value;
      else q[r * n + c] = value;
    }
  }
  gramSchmidtInPlace(q, n, m);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      out[r * cols + c] = gain * (tall ? q[c * n + r]! : q[r * n + c]!);
    }
  }
  return out;
}

/** Orthonormalises the m contiguous length-n columns of q in order: v_j ← v_j − Σ_{i<j} (q_i·v_j) q_i (twice), q_j = v_j/|v_j|. */
function gramSchmidtInPlace(q: Float64Array, n: number, m: number): void {
  for (let j = 0; j < m; j++) {
    const vj = j * n;
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) {
        const qi = i * n;
        let dot = 0;
        for (let k = 0; k < n; k++) dot += q[qi + k]! * q[vj + k]!;
        for (let k = 0; k < n; k++) q[vj + k] = q[vj + k]! - dot * q[qi + k]!;
      }
    }
    let norm = 0;
    for (let k = 0; k < n; k++) norm += q[vj + k]! * q[vj + k]!;
    norm = Math.sqrt(norm);
    if (norm === 0) throw new DeltascopeError('INTERNAL', 'orthogonal init drew a rank-deficient matrix');
    for (let k = 0; k < n; k++) q[vj + k] = q[vj + k]! / norm;
  }
}
