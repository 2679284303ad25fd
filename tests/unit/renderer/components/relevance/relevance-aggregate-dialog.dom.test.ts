// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import type { CallResult, DatabaseInfo } from '@shared';
import RelevanceAggregateDialog from '../../../../../src-renderer/components/relevance/RelevanceAggregateDialog.vue';
import { useDatabaseStore } from '../../../../../src-renderer/stores/database';
import { useRelevanceStore } from '../../../../../src-renderer/stores/relevance';
import { FakeTransport } from '../../fake-transport';
import { sampleTree } from '../../sample-tree';
import { find, mount, settle, type } from '../mount.dom';

afterEach(() => {
  document.body.innerHTML = '';
});

const dbInfo: DatabaseInfo = {
  path: '/data/maze.deltascope',
  fileName: 'maze.deltascope',
  schemaVersion: 4,
  sizeBytes: 8192,
  isDefault: false,
  counts: { experiments: 1, runs: 2, checkpoints: 2, metrics: 0, artifacts: 0 },
};

const written = {
  folder: '/data/ties-merged-over-100',
  files: ['/data/ties-merged-over-100/model-00001-of-00001.safetensors'],
  bytes: 12_000_000,
  tensorCount: 8,
  paramCount: 6_000_000,
  merged: true,
};

function check(root: HTMLElement, selector: string): Promise<void> {
  const input = find<HTMLInputElement>(root, selector);
  input.checked = true;
  input.dispatchEvent(new Event('change'));
  return settle();
}

/** "Save as a safetensors folder" in the Aggregate dialog: the request, the progress in parameters, Stop, the message. */
describe('the Aggregate dialog writing a folder', () => {
  it('suggests a folder beside the database, shows progress in parameters with an ETA, and what it wrote', async () => {
    let finish: (() => void) | null = null;
    const transport = new FakeTransport()
      .handle('runs.tree', () => sampleTree())
      .handle('db.current', () => dbInfo)
      .handle('db.recent', () => [])
      .handle('diff.cancel', () => ({ cancelled: false }));
    const original = transport.call.bind(transport);
    transport.call = (method, params) => {
      if (method !== 'weights.aggregateToFolder') return original(method, params);
      transport.calls.push({ method, params });
      return new Promise<CallResult>((resolve) => {
        finish = () => resolve({ ok: true, result: written });
      });
    };
    const root = await mount(RelevanceAggregateDialog, transport);
    // The relevance view, the dialog's host, subscribes the store to job events.
    useRelevanceStore().listen();
    await useDatabaseStore().refresh();
    await settle();
    await type(find(root, '[data-testid="aggregate-base"]'), '100', 'change');
    await check(root, '[data-testid="aggregate-target-folder"]');
    await type(find(root, '[data-testid="aggregate-kind"]'), 'ties', 'change');
    await check(root, '[data-testid="aggregate-merge"]');
    const folder = find<HTMLInputElement>(root, '[data-testid="aggregate-folder"]');
    expect(folder.value).toBe('/data/ties-merged-over-100');
    // The map's name field belongs to a stored map only.
    expect(root.textContent).not.toContain('Name (optional)');

    // The sample tree has no fine-tune of 100: check 101 by hand.
    await check(root, '[data-testid="aggregate-deltas"] input[data-checkpoint="101"]');
    // happy-dom does not submit a form on its submit button's click: submit it as the click would.
    find(root, 'form').dispatchEvent(new Event('submit', { cancelable: true }));
    await settle();
    const call = transport.calls.find((c) => c.method === 'weights.aggregateToFolder');
    const params = call?.params as { jobId: string };
    expect(params).toMatchObject({
      base: 100,
      deltas: [101],
      aggregator: { kind: 'ties', density: 0.2, lambda: 1 },
      folder: '/data/ties-merged-over-100',
      merge: true,
    });
    expect(find(root, '[data-testid="aggregate-run"]').textContent?.trim()).toBe('Writing…');

    transport.emit('job.progress', {
      jobId: params.jobId,
      label: 'Merge ties',
      done: 1_500_000,
      total: 6_000_000,
      unit: 'parameters',
      ratePerSecond: 125_000,
      etaSeconds: 36,
      latest: {},
    });
    await settle();
    const progress = find(root, '[data-testid="aggregate-progress"]');
    expect(progress.textContent).toContain('1.5M / 6M parameters · ETA 0:36');
    find(root, '[data-testid="aggregate-stop"]').click();
    await settle();
    expect(transport.calls.filter((c) => c.method === 'diff.cancel').map((c) => c.params)).toEqual([
      { jobId: params.jobId },
    ]);

    finish!();
    await settle(5);
    expect(root.querySelector('[data-testid="aggregate-progress"]')).toBeNull();
    expect(find(root, '[data-testid="aggregate-written"]').textContent?.replace(/\s+/g, ' ').trim()).toBe(
      'Wrote the merged model to /data/ties-merged-over-100: 1 files, 11.4 MB (8 tensors, 6M parameters).',
    );
  });
});

/** The field of the aggregator parameter labelled `label` (its text before the control). */
function paramField(root: HTMLElement, label: string): HTMLInputElement | HTMLSelectElement {
  const params = find(root, '[data-testid="aggregate-params"]');
  const match = [...params.querySelectorAll('label')].find((l) => l.textContent?.trim().startsWith(label));
  const field = match?.querySelector<HTMLInputElement | HTMLSelectElement>('input, select');
  if (field === null || field === undefined) throw new Error(`no parameter field "${label}"`);
  return field;
}

function paramLabels(root: HTMLElement): string[] {
  const params = find(root, '[data-testid="aggregate-params"]');
  return [...params.querySelectorAll('label')].map((l) => l.textContent!.trim().split(/\s+/)[0]!);
}

describe("the Aggregate dialog's parameter fields", () => {
  it('shows each aggregator its own fields, and sends what was typed in them', async () => {
    const transport = new FakeTransport()
      .handle('runs.tree', () => sampleTree())
      .handle('db.current', () => dbInfo)
      .handle('db.recent', () => []);
    const root = await mount(RelevanceAggregateDialog, transport);
    await useDatabaseStore().refresh();
    await settle();
    await type(find(root, '[data-testid="aggregate-base"]'), '100', 'change');
    await check(root, '[data-testid="aggregate-deltas"] input[data-checkpoint="101"]');
    const params = find(root, '[data-testid="aggregate-params"]');
    expect(params.textContent?.trim()).toBe('Mean has no parameters.');

    await type(find(root, '[data-testid="aggregate-kind"]'), 'dare', 'change');
    expect(paramLabels(root)).toEqual(['drop', 'seed', 'combine']);
    const drop = paramField(root, 'drop probability');
    expect([drop.getAttribute('min'), drop.getAttribute('max'), drop.getAttribute('step')]).toEqual([
      '0',
      '0.99',
      '0.05',
    ]);
    await type(drop, '0.5');
    await type(paramField(root, 'seed'), '7');
    await type(paramField(root, 'combine'), 'sum', 'change');
    find(root, 'form').dispatchEvent(new Event('submit', { cancelable: true }));
    await settle();
    expect(transport.calls.find((c) => c.method === 'weights.aggregate')?.params).toMatchObject({
      base: 100,
      deltas: [101],
      aggregator: { kind: 'dare', dropProbability: 0.5, seed: 7, combine: 'sum' },
    });

    await type(find(root, '[data-testid="aggregate-kind"]'), 'ties', 'change');
    expect(paramLabels(root)).toEqual(['density', 'λ']);
    expect(params.textContent).not.toContain('has no parameters');
    await type(paramField(root, 'λ'), '2.5');
    find(root, 'form').dispatchEvent(new Event('submit', { cancelable: true }));
    await settle();
    expect(transport.calls.filter((c) => c.method === 'weights.aggregate').at(-1)?.params).toMatchObject({
      aggregator: { kind: 'ties', density: 0.2, lambda: 2.5 },
    });
  });
});
