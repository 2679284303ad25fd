// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { defineComponent, h } from 'vue';
import { DeltascopeError, type CheckpointSummary } from '@shared';
import AgentComparePanel from '../../../../../src-renderer/components/agent/AgentComparePanel.vue';
import { useAgentCompareStore } from '../../../../../src-renderer/stores/agent-compare';
import { useAgentStore } from '../../../../../src-renderer/stores/agent';
import { FakeTransport } from '../../fake-transport';
import { checkpoint } from '../../sample-tree';
import { find, mount, settle, type } from '../mount.dom';

/** The panel with B's picker offering `groups`. */
const panelOf = (groups: { label: string; checkpoints: CheckpointSummary[] }[]) =>
  defineComponent({ render: () => h(AgentComparePanel, { groups }) });
const Panel = panelOf([]);

describe('the episode scan form', () => {
  it('keeps the number of mazes typed even when the panel re-renders before the field loses focus', async () => {
    const transport = new FakeTransport().handle('episodes.scan', () => {
      throw new DeltascopeError('INVALID_PAYLOAD', 'not needed here');
    });
    const root = await mount(Panel, transport);
    useAgentStore().checkpointId = 5;
    const field = find<HTMLInputElement>(root, '[aria-label="Mazes to scan"]');
    await type(field, '16');
    // Something else on the panel changes (B's episode arriving, a condition picked) while the user is still in the field.
    useAgentCompareStore().condition = 'any';
    await settle();
    field.dispatchEvent(new Event('change'));
    await settle();
    expect(field.value).toBe('16');
    find<HTMLButtonElement>(root, '[data-testid="agent-scan-run"]').click();
    await settle();
    const scan = transport.calls.find((call) => call.method === 'episodes.scan');
    expect(scan?.params).toMatchObject({ checkpointIds: [5], mazes: 16 });
  });

  it('turns an out-of-range count into the nearest allowed one when the field is left', async () => {
    const root = await mount(Panel, new FakeTransport());
    const field = find<HTMLInputElement>(root, '[aria-label="Mazes to scan"]');
    await type(field, '900');
    await type(field, '900', 'change');
    expect([field.value, useAgentCompareStore().mazes]).toEqual(['500', 500]);
    await type(field, '2.6', 'change');
    expect([field.value, useAgentCompareStore().mazes]).toEqual(['3', 3]);
  });
});

describe("B's checkpoint picker", () => {
  it('lists the checkpoints by run as "label — step N (#id)" after "none (A only)"', async () => {
    const groups = [
      { label: 'maze / base', checkpoints: [checkpoint(5, 10, 0), checkpoint(6, 10, 12_000)] },
      { label: 'maze / tuned', checkpoints: [checkpoint(11, 12, 2_000_000)] },
    ];
    const root = await mount(panelOf(groups), new FakeTransport());
    const select = find<HTMLSelectElement>(root, '[data-testid="agent-compare-checkpoint"]');
    expect([...select.querySelectorAll('optgroup')].map((g) => g.label)).toEqual([
      'maze / base',
      'maze / tuned',
    ]);
    expect([...select.options].map((o) => [o.value, o.textContent?.trim()])).toEqual([
      ['', 'none (A only)'],
      ['5', 'ckpt-5 — step 0 (#5)'],
      ['6', 'ckpt-6 — step 12,000 (#6)'],
      ['11', 'ckpt-11 — step 2,000,000 (#11)'],
    ]);
  });
});
