import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { ApiService, dispatch, EventBus, type ApiServiceOptions } from '../../src-main/api';
import type { WireEvent } from '../../src-main/shared';
import type { ErrorPayload } from '../../src-main/shared/errors';
import { makeTempDir } from './temp-dir';

/**
 * An ApiService for integration tests, called the way the renderer calls it: through `dispatch`, so
 * every payload is validated against its schema. Its events are collected in `events`.
 */

export interface ApiServiceSetup extends Partial<Omit<ApiServiceOptions, 'bus' | 'appDataDir'>> {
  /** A database to open once the service exists… */
  open?: string;
  /** …or to create. */
  create?: string;
}

export interface ApiTestService {
  service: ApiService;
  bus: EventBus;
  events: WireEvent[];
  /** The call's result; a failure throws `CODE: message` with the error as `payload`. */
  call<T = unknown>(method: string, params: unknown): Promise<T>;
  /** The error of a call that must fail (throws if it succeeds). */
  fail(method: string, params: unknown): Promise<ErrorPayload>;
  /** Stops its jobs and closes its database. */
  dispose(): Promise<void>;
}

/** A service whose app data lives in `dir/app-data` (mode browser, version "test" unless set). */
export function startApiService(dir: string, setup: ApiServiceSetup = {}): ApiTestService {
  const { open, create, ...options } = setup;
  const bus = new EventBus();
  const events: WireEvent[] = [];
  bus.subscribe((event) => events.push(event));
  const service = new ApiService({
    mode: 'browser',
    version: 'test',
    ...options,
    appDataDir: join(dir, 'app-data'),
    bus,
  });
  if (open !== undefined) service.openPath(open, 'open');
  if (create !== undefined) service.openPath(create, 'create');
  return {
    service,
    bus,
    events,
    async call<T>(method: string, params: unknown): Promise<T> {
      const result = await dispatch(service.handlers, method, params);
      if (!result.ok)
        throw Object.assign(new Error(`${result.error.code}: ${result.error.message}`), {
          payload: result.error,
        });
      return result.result as T;
    },
    async fail(method: string, params: unknown): Promise<ErrorPayload> {
      const result = await dispatch(service.handlers, method, params);
      if (result.ok) throw new Error(`${method} succeeded but was expected to fail`);
      return result.error;
    },
    async dispose(): Promise<void> {
      await service.disposeJobs();
      service.dispose();
    },
  };
}

/** An ApiTestService for the whole test file, with the temp folder `dir` it lives in. */
export type ApiTestHarness = Omit<ApiTestService, 'dispose'> & { readonly dir: string };

/**
 * Registers the test file's beforeAll/afterAll: a temp folder (`deltascope-<prefix>-…`), then
 * `setup(dir)` (write the fixture database there, say what to open) and the service; after all
 * tests, the service's jobs stopped, its database closed and the folder removed.
 */
export function useApiService(
  prefix: string,
  setup: (dir: string) => ApiServiceSetup | Promise<ApiServiceSetup> = () => ({}),
  timeoutMs?: number,
): ApiTestHarness {
  const temp = makeTempDir(prefix);
  let current: ApiTestService | null = null;
  const started = (): ApiTestService => {
    if (current === null) throw new Error('the ApiService starts in beforeAll; use it inside a test or hook');
    return current;
  };
  beforeAll(async () => {
    current = startApiService(temp.dir, await setup(temp.dir));
  }, timeoutMs);
  afterAll(async () => {
    await current?.dispose();
    temp.cleanup();
  });
  return {
    dir: temp.dir,
    get service() {
      return started().service;
    },
    get bus() {
      return started().bus;
    },
    get events() {
      return started().events;
    },
    call: <T>(method: string, params: unknown) => started().call<T>(method, params),
    fail: (method: string, params: unknown) => started().fail(method, params),
  };
}
