// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { defineComponent, h } from 'vue';
import { DeltascopeError } from '@shared';
import AgentComparePanel from '../../../../../src-renderer/components/agent/AgentComparePanel.vue';
import { useAgentCompareStore } from '../../../../../src-renderer/stores/agent-compare';
import { useAgentStore } from '../../../../../src-renderer/stores/agent';
import { FakeTransport } from '../../fake-transport';
import { find, mount, settle, type } from '../mount.dom';

const Panel = defineComponent({ render: () => h(AgentComparePanel, { groups: [] }) });

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
