import { onBeforeUnmount, onMounted } from 'vue';
import { useAppStore } from '../../stores/app';

/** True on macOS, where shortcuts use ⌘ instead of Ctrl. */
export function isMac(): boolean {
  return /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
}

/** "Ctrl+O" or "⌘O" for display. */
export function shortcutLabel(key: string): string {
  return isMac() ? `⌘${key}` : `Ctrl+${key}`;
}

/** Ctrl/⌘+O opens a database, Ctrl/⌘+N creates one (Electron's menu accelerators do the same). */
export function useAppShortcuts(): void {
  const app = useAppStore();
  const onKeydown = (event: KeyboardEvent): void => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
    const key = event.key.toLowerCase();
    if (key === 'o') app.openFileDialog('open');
    else if (key === 'n') app.openFileDialog('new');
    else return;
    event.preventDefault();
  };
  onMounted(() => window.addEventListener('keydown', onKeydown));
  onBeforeUnmount(() => window.removeEventListener('keydown', onKeydown));
}
