// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../../../../../src-renderer/api/client';
import { provideApi } from '../../../../../src-renderer/api/provider';
import { useDiffDrop } from '../../../../../src-renderer/components/diff/use-diff-drop';
import { useDiffStore } from '../../../../../src-renderer/stores/diff';
import { useNoticesStore } from '../../../../../src-renderer/stores/notices';
import { sampleDiff } from '../../diff-fixtures';
import { FakeTransport } from '../../fake-transport';

/**
 * The desktop app's drop of two model folders (or files) on the window: the preload only turns each
 * dropped entry into its path; the drop opens the diff of those paths through the diff store.
 */
let transport: FakeTransport;

beforeEach(() => {
  setActivePinia(createPinia());
  transport = new FakeTransport().handle('diff.compute', () => sampleDiff());
  provideApi(createApiClient(transport));
  window.deltascopeHost = {
    mode: 'electron',
    call: () => Promise.resolve({ ok: true, result: null }),
    onEvent: () => () => undefined,
    pathForFile: (file: File) => `/models/${file.name}`,
  };
});
afterEach(() => {
  delete window.deltascopeHost;
});

/** A drop from the operating system of entries with these names (folders carry no type). */
function dropOf(...names: string[]): DragEvent {
  const files = names.map((name) => new File([], name));
  return { dataTransfer: { types: ['Files'], files } } as unknown as DragEvent;
}

const computeCalls = () => transport.calls.filter((c) => c.method === 'diff.compute');

describe('dropping models on the desktop app’s window', () => {
  it('diffs two dropped folders by their paths, the first as A', async () => {
    useDiffDrop().dropFiles(dropOf('base', 'rl-tuned'));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(computeCalls()[0]?.params).toMatchObject({
      a: { file: '/models/base' },
      b: { file: '/models/rl-tuned' },
    });
    expect(useDiffStore().state).toBe('ready');
  });

  it('asks for two when one is dropped, and for exactly two when three are', () => {
    useDiffDrop().dropFiles(dropOf('base'));
    useDiffDrop().dropFiles(dropOf('a', 'b', 'c'));
    expect(computeCalls()).toEqual([]);
    expect(useNoticesStore().notices.map((n) => n.message)).toEqual([
      expect.stringMatching(/Drop two model files or folders together/),
      expect.stringMatching(/exactly two models .*\(3 given\)/),
    ]);
  });
});
