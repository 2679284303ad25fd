import { DeltascopeError } from '../../shared/errors';

/** Throws SHAPE_MISMATCH naming `what` and both shapes unless `ok`. */
export function checkShape(ok: boolean, what: string, got: readonly number[], expected: string): void {
  if (!ok) {
    throw new DeltascopeError('SHAPE_MISMATCH', `${what} has shape [${got.join(',')}]; expected ${expected}`);
  }
}
