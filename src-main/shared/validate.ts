import { z } from 'zod';
import { DeltascopeError } from './errors';
import { methods, type MethodName, type MethodParams } from './contract';

/** Formats zod issues as "params.path: expected string, received number; …". */
export function describeIssues(error: z.ZodError, root: string): string {
  return error.issues
    .map((issue) => {
      const where = [root, ...issue.path.map(String)].join('.');
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

/** Validates a request for `method`; throws INVALID_PAYLOAD naming each bad field. */
export function parseParams<M extends MethodName>(method: M, raw: unknown): MethodParams<M> {
  const schema = methods[method].request;
  const result = schema.safeParse(raw ?? {});
  if (!result.success) {
    throw new DeltascopeError(
      'INVALID_PAYLOAD',
      `Invalid request to ${method}: ${describeIssues(result.error, 'params')}`,
      {
        method,
      },
    );
  }
  return result.data as MethodParams<M>;
}
