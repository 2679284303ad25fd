// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import TrainingNewDialog from '../../../../../src-renderer/components/training/TrainingNewDialog.vue';
import { FakeTransport } from '../../fake-transport';
import { find, mount, type } from '../mount.dom';

const json = (root: ParentNode) => find<HTMLTextAreaElement>(root, '[data-testid="training-json"]');
const errors = (root: ParentNode) =>
  [...root.querySelectorAll('[data-testid="field-error"]')].map((e) => [
    e.getAttribute('data-path'),
    e.textContent?.trim(),
  ]);

afterEach(() => {
  document.body.innerHTML = '';
});

describe('the "New training" dialog', () => {
  it('shows a field error next to the field, and the JSON editor follows the form', async () => {
    const root = await mount(TrainingNewDialog, new FakeTransport());
    expect(errors(root)).toEqual([]);
    const total = find<HTMLInputElement>(root, '[data-testid="training-total-steps"]');
    await type(total, '100');
    expect(errors(root)).toEqual([['totalSteps', expect.stringContaining('less than one iteration')]]);
    // The message stands in the totalSteps field's own label, under its input.
    expect(total.closest('label')?.querySelector('[data-testid="field-error"]')).not.toBeNull();
    expect(JSON.parse(json(root).value)).toMatchObject({ totalSteps: 100 });
    expect(find<HTMLButtonElement>(root, '[data-testid="training-start"]').disabled).toBe(true);

    // The shared maze fields and reward table write into the same draft.
    await type(find(root, '[data-testid="training-size"]'), '6');
    expect(errors(root)).toContainEqual(['env.size', 'size must be odd']);
    await type(find(root, '[data-testid="training-size"]'), '7');
    await type(root.querySelector('input[aria-label="RA weight of coin"]'), '0.5');
    expect(JSON.parse(json(root).value).rewards[0].collect).toEqual({ cheese: 1, coin: 0.5 });
  });

  it('reads the form back from JSON typed in the editor, keeping the text as typed', async () => {
    const root = await mount(TrainingNewDialog, new FakeTransport());
    const spec = JSON.parse(json(root).value) as Record<string, unknown>;
    const typed = JSON.stringify({ ...spec, run: 'from-json', env: { size: 9, kinds: ['coin'] } });
    await type(json(root), typed);
    expect(find<HTMLInputElement>(root, '[data-testid="training-run"]').value).toBe('from-json');
    expect(find<HTMLInputElement>(root, '[data-testid="training-size"]').value).toBe('9');
    expect(json(root).value).toBe(typed);
    // The preset's rewards collect cheese, which the typed maze no longer has: refused under the table.
    expect(errors(root)).toContainEqual([
      'rewards.0.collect.cheese',
      expect.stringContaining('kind "cheese" is not in env.kinds'),
    ]);
    expect(find(root, '[data-testid="rewards-editor"]').textContent).toContain(
      'kind "cheese" is not in env.kinds',
    );

    await type(json(root), '{"run": ');
    expect(find(root, '[role="alert"]').textContent).toMatch(/^Not valid JSON/);
    expect(find<HTMLInputElement>(root, '[data-testid="training-run"]').value).toBe('from-json');
    // A form edit replaces the broken text with the draft again.
    await type(find(root, '[data-testid="training-run"]'), 'fixed');
    expect(JSON.parse(json(root).value)).toMatchObject({ run: 'fixed' });
    expect(root.querySelector('[role="alert"]')).toBeNull();
  });
});
