import { readFileSync } from 'node:fs';
import { DeltascopeError } from '../shared/errors';
import { jsonSyntaxProblem } from '../weights';

/**
 * Reads a JSON spec file and validates it with `parse`; every error names the file: FILE_NOT_FOUND
 * when it cannot be read, INVALID_SPEC when it is not JSON, and `parse`'s own error (its code, with
 * the path in front of its message) when a field is wrong.
 */
export function readSpecFile<T>(path: string, what: string, parse: (raw: unknown) => T): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DeltascopeError(
      'FILE_NOT_FOUND',
      `Cannot read the ${what} ${path}: ${(error as Error).message}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new DeltascopeError('INVALID_SPEC', `${path} is not valid JSON: ${jsonSyntaxProblem(error, text)}`);
  }
  try {
    return parse(raw);
  } catch (error) {
    if (error instanceof DeltascopeError) throw new DeltascopeError(error.code, `${path}: ${error.message}`);
    throw error;
  }
}
