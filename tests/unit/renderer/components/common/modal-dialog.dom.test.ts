// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { defineComponent, h, ref } from 'vue';
import ModalDialog from '../../../../../src-renderer/components/common/ModalDialog.vue';
import { FakeTransport } from '../../fake-transport';
import { find, mount, settle } from '../mount.dom';

afterEach(() => {
  document.body.innerHTML = '';
});

/** An owner as the four dialogs use it: fields in the slot, a hint, a primary submit button. */
async function mountOwner() {
  const log: string[] = [];
  const error = ref<string | null>(null);
  const Owner = defineComponent(
    () => () =>
      h(
        ModalDialog,
        {
          class: 'owner-dialog',
          title: 'Do the thing',
          error: error.value,
          'data-testid': 'owner',
          onClose: () => log.push('close'),
          onSubmit: () => log.push('submit'),
        },
        {
          default: () => h('input', { class: 'input', 'data-testid': 'field' }),
          hint: () => 'Enter does it · Esc closes',
          primary: () => h('button', { type: 'submit', 'data-testid': 'primary' }, 'Do it'),
        },
      ),
  );
  const root = await mount(Owner, new FakeTransport());
  return { root, log, error };
}

describe('ModalDialog (the frame of the file, compare, aggregate and new-training dialogs)', () => {
  it('opens modally, named by its title, with the owner class and test id on the <dialog>', async () => {
    const { root } = await mountOwner();
    const dialog = find<HTMLDialogElement>(root, 'dialog');
    expect(dialog.open).toBe(true);
    expect(dialog.classList.contains('modal')).toBe(true);
    expect(dialog.classList.contains('owner-dialog')).toBe(true);
    expect(dialog.dataset.testid).toBe('owner');
    const title = find(root, `#${CSS.escape(dialog.getAttribute('aria-labelledby') ?? '')}`);
    expect(title.textContent).toBe('Do the thing');
    expect(find(root, '.modal__footer').textContent).toMatch(/^Enter does it · Esc closes\s*Cancel\s*Do it$/);
  });

  it('closes on ×, Cancel and Esc, and submits on its primary button', async () => {
    const { root, log } = await mountOwner();
    find<HTMLButtonElement>(root, 'button[aria-label="Close dialog"]').click();
    [...root.querySelectorAll('button')].find((b) => b.textContent === 'Cancel')!.click();
    const cancel = new Event('cancel', { cancelable: true });
    find(root, 'dialog').dispatchEvent(cancel);
    expect(cancel.defaultPrevented).toBe(true); // the owner unmounts it; the browser must not close it
    find(root, 'form').dispatchEvent(new Event('submit', { cancelable: true }));
    expect(log).toEqual(['close', 'close', 'close', 'submit']);
  });

  it('shows the owner error as an alert above the footer, and nothing without one', async () => {
    const { root, error } = await mountOwner();
    expect(root.querySelector('[role="alert"]')).toBeNull();
    error.value = 'B must differ from A.';
    await settle();
    const alert = find(root, '[role="alert"]');
    expect(alert.textContent).toBe('B must differ from A.');
    expect(alert.nextElementSibling?.classList.contains('modal__footer')).toBe(true);
  });
});
