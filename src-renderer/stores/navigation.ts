import { defineStore } from 'pinia';
import { ref } from 'vue';
import { useNoticesStore } from './notices';

/**
 * The screens of an open database: the run browser, an experiment's lineage graph, the open diff,
 * the relevance maps, the training monitor, the agent viewer and the objective-isolation protocol
 * (designer, progress, report); and, with or without an open database, the cluster view that follows
 * an experiment's work folder.
 */
export type AppView = 'runs' | 'lineage' | 'diff' | 'relevance' | 'train' | 'agent' | 'protocol' | 'cluster';

export const useNavigationStore = defineStore('navigation', () => {
  const view = ref<AppView>('runs');
  /** The experiment the lineage view shows; null until one is chosen. */
  const lineageExperimentId = ref<number | null>(null);
  /** Bumped to open the "Compare…" dialog (a button, a menu, a shortcut). */
  const compareDialogOpen = ref(false);

  /** Moves to a screen; the toasts of the screen left behind go (see clearOnNavigation). */
  function show(next: AppView): void {
    if (view.value !== next) useNoticesStore().clearOnNavigation();
    view.value = next;
  }

  function showLineage(experimentId: number): void {
    lineageExperimentId.value = experimentId;
    show('lineage');
  }

  function openCompareDialog(): void {
    compareDialogOpen.value = true;
  }

  function closeCompareDialog(): void {
    compareDialogOpen.value = false;
  }

  /** Back to the run browser: a different database was opened, or it was closed. */
  function reset(): void {
    show('runs');
    lineageExperimentId.value = null;
    compareDialogOpen.value = false;
  }

  return {
    view,
    lineageExperimentId,
    compareDialogOpen,
    show,
    showLineage,
    openCompareDialog,
    closeCompareDialog,
    reset,
  };
});
