import type { z } from 'zod';
import { DeltascopeError } from '../shared/errors';
import { describeIssues } from '../shared/validate';
import type { StoreContext } from './store-context';

/** Checks on values arriving from callers (INVALID_PAYLOAD) and on JSON read back from the file (DATABASE_CORRUPT). */

/** A row id: a positive safe integer. */
export function requireId(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new DeltascopeError(
      'INVALID_PAYLOAD',
      `${what} must be a positive integer, got ${describe(value)}.`,
    );
  }
  return value;
}

/** A training step: a non-negative safe integer. */
export function requireStep(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new DeltascopeError(
      'INVALID_PAYLOAD',
      `${what} must be a non-negative integer, got ${describe(value)}.`,
    );
  }
  return value;
}

export function requireText(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new DeltascopeError(
      'INVALID_PAYLOAD',
      `${what} must be a non-empty string, got ${describe(value)}.`,
    );
  }
  return value;
}

/** Parses caller input with a shared zod schema; INVALID_PAYLOAD lists each bad field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new DeltascopeError('INVALID_PAYLOAD', `Invalid ${what}: ${describeIssues(result.error, what)}`);
  return result.data;
}

const ROW_TABLES = { experiment: 'experiments', run: 'runs', checkpoint: 'checkpoints' } as const;

/** Throws NOT_FOUND unless row `id` of the given kind exists. */
export function requireRow(ctx: StoreContext, kind: keyof typeof ROW_TABLES, id: number): void {
  const found = ctx.statement(`SELECT 1 FROM ${ROW_TABLES[kind]} WHERE id = ?`).get(id);
  if (found === undefined) throw notFound(ctx, kind, id);
}

export function notFound(ctx: StoreContext, kind: string, id: number): DeltascopeError {
  return new DeltascopeError('NOT_FOUND', `There is no ${kind} ${id} in ${ctx.path}.`, {
    path: ctx.path,
    kind,
    id,
  });
}

/** JSON text for a column; INVALID_PAYLOAD for values JSON cannot hold (undefined, functions, cycles). */
export function toJsonText(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new DeltascopeError(
      'INVALID_PAYLOAD',
      `${what} cannot be stored as JSON: ${(error as Error).message}.`,
    );
  }
  if (text === undefined) throw new DeltascopeError('INVALID_PAYLOAD', `${what} cannot be stored as JSON.`);
  return text;
}

/** JSON.parse of a stored column; DATABASE_CORRUPT naming the row if the text is not JSON. */
export function parseJsonColumn(ctx: StoreContext, text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new DeltascopeError('DATABASE_CORRUPT', `${ctx.path} is damaged (${where} is not valid JSON).`, {
      path: ctx.path,
    });
  }
}

/** A stored JSON column checked against its shared schema; DATABASE_CORRUPT naming the row and field. */
export function parseStored<S extends z.ZodType>(
  ctx: StoreContext,
  schema: S,
  text: string,
  where: string,
): z.output<S> {
  return checkStored(ctx, schema, parseJsonColumn(ctx, text, where), where);
}

/** A stored value checked against its shared schema; DATABASE_CORRUPT naming the row and field. */
export function checkStored<S extends z.ZodType>(
  ctx: StoreContext,
  schema: S,
  value: unknown,
  where: string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new DeltascopeError(
      'DATABASE_CORRUPT',
      `${ctx.path} is damaged (${describeIssues(result.error, where)}).`,
      {
        path: ctx.path,
      },
    );
  }
  return result.data;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}
