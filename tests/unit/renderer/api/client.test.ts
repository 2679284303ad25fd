import { describe, expect, it, vi } from 'vitest';
import { createApiClient } from '../../../../src-renderer/api/client';
import { DeltascopeError, type DatabaseInfo } from '@shared';
import { FakeTransport } from '../fake-transport';

const info: DatabaseInfo = {
  path: '/data/a.deltascope',
  fileName: 'a.deltascope',
  schemaVersion: 1,
  sizeBytes: 4096,
  isDefault: false,
  counts: { experiments: 1, runs: 2, checkpoints: 3, metrics: 4, artifacts: 0 },
};

describe('createApiClient', () => {
  it('exposes one function per contract method that sends the method name and params', async () => {
    const transport = new FakeTransport().handle('db.open', () => info);
    const api = createApiClient(transport);
    await expect(api['db.open']({ path: '/data/a.deltascope' })).resolves.toEqual(info);
    expect(transport.calls).toEqual([{ method: 'db.open', params: { path: '/data/a.deltascope' } }]);
  });

  it('turns a failed call into a DeltascopeError carrying the main side’s code and message', async () => {
    const transport = new FakeTransport().handle('db.open', () => {
      throw new DeltascopeError(
        'NOT_A_DATABASE',
        '/tmp/x.deltascope is not a SQLite database (it starts with "hello").',
      );
    });
    const api = createApiClient(transport);
    const error = await api['db.open']({ path: '/tmp/x.deltascope' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeltascopeError);
    expect((error as DeltascopeError).code).toBe('NOT_A_DATABASE');
    expect((error as DeltascopeError).message).toContain('/tmp/x.deltascope is not a SQLite database');
  });

  it('rejects a reply that does not match the contract, naming the method and field', async () => {
    const transport = new FakeTransport().handle(
      'db.current',
      () => ({ ...info, sizeBytes: 'big' }) as never,
    );
    const api = createApiClient(transport);
    await expect(api['db.current']({})).rejects.toThrow(/reply to db.current .*result\.sizeBytes/);
  });

  it('wraps a transport failure (server unreachable) as a DeltascopeError', async () => {
    const transport = new FakeTransport();
    transport.call = () => Promise.reject(new Error('fetch failed'));
    const api = createApiClient(transport);
    await expect(api['app.info']({})).rejects.toMatchObject({
      name: 'DeltascopeError',
      message: 'fetch failed',
    });
  });

  it('delivers events to listeners of that name only, validated, until unsubscribed', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const transport = new FakeTransport();
    const api = createApiClient(transport);
    const changed = vi.fn();
    const notice = vi.fn();
    const stop = api.onEvent('db.changed', changed);
    api.onEvent('app.notice', notice);
    transport.emit('db.changed', { info: null, reason: 'closed' });
    transport.emit('db.changed', { info: null, reason: 'exploded' });
    transport.emit('no.such.event', {});
    expect(changed).toHaveBeenCalledTimes(1);
    expect(changed).toHaveBeenCalledWith({ info: null, reason: 'closed' });
    expect(notice).not.toHaveBeenCalled();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('payload.reason'));
    warn.mockRestore();
    stop();
    transport.emit('db.changed', { info: null, reason: 'closed' });
    expect(changed).toHaveBeenCalledTimes(1);
  });
});
