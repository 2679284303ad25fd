import {
  DeltascopeError,
  isMethodName,
  parseParams,
  toErrorPayload,
  type ApiHandlers,
  type CallResult,
  type MethodName,
} from '../shared';

/**
 * The single entry point of every transport: checks the method name, validates the params
 * against the contract, runs the handler and turns any failure into `{ code, message }` data.
 */
export async function dispatch(handlers: ApiHandlers, method: unknown, params: unknown): Promise<CallResult> {
  try {
    if (typeof method !== 'string' || !isMethodName(method)) {
      throw new DeltascopeError('UNKNOWN_METHOD', `Unknown API method ${JSON.stringify(method)}.`);
    }
    return { ok: true, result: await invoke(handlers, method, params) };
  } catch (error) {
    return { ok: false, error: toErrorPayload(error) };
  }
}

async function invoke<M extends MethodName>(
  handlers: ApiHandlers,
  method: M,
  params: unknown,
): Promise<unknown> {
  const parsed = parseParams(method, params);
  const handler = handlers[method] as (p: typeof parsed) => unknown;
  return await handler(parsed);
}
