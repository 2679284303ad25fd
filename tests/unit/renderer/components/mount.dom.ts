import { createPinia, setActivePinia } from 'pinia';
import { createApp, nextTick, type Component } from 'vue';
import { createApiClient } from '../../../../src-renderer/api/client';
import { provideApi } from '../../../../src-renderer/api/provider';
import type { FakeTransport } from '../fake-transport';

/** Mounts `component` in a fresh Pinia on the page (happy-dom), its stores talking to `transport`. */
export async function mount(component: Component, transport: FakeTransport): Promise<HTMLElement> {
  const pinia = createPinia();
  setActivePinia(pinia);
  provideApi(createApiClient(transport));
  const host = document.createElement('div');
  document.body.append(host);
  createApp(component).use(pinia).mount(host);
  await settle();
  return host;
}

/** Lets Vue re-render and queued replies land. */
export async function settle(ms = 0): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  await nextTick();
}

/** Types `value` into an input, select or textarea as a user would (one input/change event). */
export async function type(element: Element | null, value: string, event = 'input'): Promise<void> {
  if (!(
    element instanceof HTMLInputElement ||
    element instanceof HTMLTextAreaElement ||
    element instanceof HTMLSelectElement
  )) {
    throw new Error(`not a form field: ${element?.outerHTML ?? 'null'}`);
  }
  element.value = value;
  element.dispatchEvent(new Event(event));
  await settle();
}

/** The element of `selector` in `root`; throws naming the selector when absent. */
export function find<E extends Element = HTMLElement>(root: ParentNode, selector: string): E {
  const element = root.querySelector<E>(selector);
  if (element === null) throw new Error(`nothing matches ${selector}`);
  return element;
}
