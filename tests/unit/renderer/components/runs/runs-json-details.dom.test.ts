// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { defineComponent, h } from 'vue';
import RunsJsonDetails from '../../../../../src-renderer/components/runs/RunsJsonDetails.vue';
import { FakeTransport } from '../../fake-transport';
import { mount } from '../mount.dom';

afterEach(() => {
  document.body.innerHTML = '';
});

const detailsOf = (value: Record<string, unknown>) =>
  defineComponent({ render: () => h(RunsJsonDetails, { summary: 'Configuration', value }) });

/** A run's configuration and a checkpoint's provenance details, as closed JSON disclosures. */
describe('RunsJsonDetails', () => {
  it('shows the value as indented JSON under its summary, closed', async () => {
    const root = await mount(detailsOf({ totalSteps: 1000, net: { kind: 'mlp' } }), new FakeTransport());
    const details = root.querySelector('details')!;
    expect(details.open).toBe(false);
    expect(details.querySelector('summary')?.textContent).toBe('Configuration');
    expect(details.querySelector('pre')?.textContent).toBe(
      '{\n  "totalSteps": 1000,\n  "net": {\n    "kind": "mlp"\n  }\n}',
    );
  });

  it('shows nothing for an empty value', async () => {
    const root = await mount(detailsOf({}), new FakeTransport());
    expect(root.querySelector('details')).toBeNull();
    expect(root.textContent).toBe('');
  });
});
