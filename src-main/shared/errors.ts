/**
 * Errors that cross the renderer/main boundary as data: `{ code, message, details? }`.
 * The message is written for a researcher and says what is wrong and where.
 */
export const ERROR_CODES = [
  'INVALID_PAYLOAD',
  'UNKNOWN_METHOD',
  'UNAUTHORIZED',
  'NO_DATABASE',
  'NOT_FOUND',
  'FILE_NOT_FOUND',
  'FILE_EXISTS',
  'NOT_A_DATABASE',
  'NOT_DELTASCOPE',
  'SCHEMA_TOO_NEW',
  'DATABASE_CORRUPT',
  'DATABASE_BUSY',
  'IO_ERROR',
  'SHAPE_MISMATCH',
  'INVALID_FILE',
  'INVALID_SPEC',
  /** A checkpoint imported by reference whose file or folder changed (or went) since the import. */
  'REFERENCE_CHANGED',
  /** A protocol experiment asked to start or resume while it runs in this session. */
  'ALREADY_RUNNING',
  /** A trainer used after dispose() released its tensors and workers. */
  'TRAINER_DISPOSED',
  'BACKEND_UNAVAILABLE',
  'JOB_FAILED',
  'NON_FINITE',
  'CANCELLED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorPayload {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export class DeltascopeError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'DeltascopeError';
    this.code = code;
    this.details = details;
  }

  toPayload(): ErrorPayload {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Any thrown value as a payload; unknown errors keep their message under code INTERNAL. */
export function toErrorPayload(error: unknown): ErrorPayload {
  if (error instanceof DeltascopeError) return error.toPayload();
  if (error instanceof Error) return { code: 'INTERNAL', message: error.message };
  return { code: 'INTERNAL', message: String(error) };
}

/** Rebuilds a DeltascopeError on the receiving side of a transport. */
export function fromErrorPayload(payload: ErrorPayload): DeltascopeError {
  return new DeltascopeError(
    isErrorCode(payload.code) ? payload.code : 'INTERNAL',
    payload.message,
    payload.details,
  );
}
