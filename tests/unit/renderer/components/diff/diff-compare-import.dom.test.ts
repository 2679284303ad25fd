// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import DiffCompareDialog from '../../../../../src-renderer/components/diff/DiffCompareDialog.vue';
import { FakeTransport } from '../../fake-transport';
import { checkpoint, sampleTree } from '../../sample-tree';
import { find, mount, settle, type } from '../mount.dom';

afterEach(() => {
  document.body.innerHTML = '';
});

/** The Compare dialog's import of a model path: a copy, or with "by reference" the files in place. */
describe('importing a model from the Compare dialog', () => {
  it.each([false, true])('imports by reference only when the box is ticked (%s)', async (byReference) => {
    const transport = new FakeTransport()
      .handle('runs.tree', () => sampleTree())
      .handle('weights.import', (params) => ({
        checkpoint: checkpoint(91, 10, 0),
        runId: 10,
        experimentId: 1,
        format: 'safetensors',
        sourceDtypes: { k: 'BF16' },
        nonFinite: null,
        reference: (params as { reference?: boolean }).reference === true,
      }));
    const root = await mount(DiffCompareDialog, transport);
    await type(find(root, '#compare-dialog-file'), '/models/llama');
    const box = find<HTMLInputElement>(root, '[data-testid="import-reference"]');
    expect(box.closest('label')?.textContent).toContain('by reference');
    if (byReference) {
      box.checked = true;
      box.dispatchEvent(new Event('change'));
      await settle();
    }
    const importButton = [...root.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Import');
    importButton!.click();
    await settle(10);
    const call = transport.calls.find((c) => c.method === 'weights.import');
    expect(call?.params).toEqual(
      byReference ? { path: '/models/llama', reference: true } : { path: '/models/llama' },
    );
    expect(root.querySelector('[role="alert"]')).toBeNull();
  });
});
