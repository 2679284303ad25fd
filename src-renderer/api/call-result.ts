import type { CallResult, WireEvent } from '@shared';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when `value` has the `{ ok: true, result } | { ok: false, error: { code, message } }` envelope. */
export function isCallResult(value: unknown): value is CallResult {
  if (!isRecord(value) || typeof value.ok !== 'boolean') return false;
  if (value.ok) return 'result' in value;
  const error = value.error;
  return isRecord(error) && typeof error.code === 'string' && typeof error.message === 'string';
}

/** True when `value` has the `{ event, payload }` envelope of a pushed event. */
export function isWireEvent(value: unknown): value is WireEvent {
  return isRecord(value) && typeof value.event === 'string' && 'payload' in value;
}
