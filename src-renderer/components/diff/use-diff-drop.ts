import type { CheckpointRef } from '@shared/contract-weights';
import { canReadDroppedFiles, droppedFilePath } from '../../api/host-files';
import { useDiffStore } from '../../stores/diff';
import { useNoticesStore } from '../../stores/notices';
import { droppedCheckpointId, droppedFiles, isCheckpointDrag, isFileDrag } from './checkpoint-drag';

export const BROWSER_FILE_DROP_MESSAGE =
  'Files dropped from the operating system can only be read by the desktop app: in a browser a dropped ' +
  'file has no path on the machine running Deltascope. Type the two paths (files or model folders) in ' +
  'the Diff view’s “Diff two models by path”, or import a model into the database (weights.import) and drag its checkpoint.';

/** Model files from a drop as diff sides, or null (after telling the user why) when none can be read. */
function fileRefs(event: DragEvent): CheckpointRef[] | null {
  const files = droppedFiles(event);
  if (files.length === 0) return null;
  if (!canReadDroppedFiles()) {
    useNoticesStore().push('error', BROWSER_FILE_DROP_MESSAGE);
    return null;
  }
  const refs: CheckpointRef[] = [];
  for (const file of files) {
    const path = droppedFilePath(file);
    if (path === null) {
      useNoticesStore().push(
        'error',
        `${file.name} has no path on disk (was it dragged from another app?); save it as a file first.`,
      );
      return null;
    }
    refs.push({ file: path });
  }
  return refs;
}

/** Drop handling shared by the tree, the lineage graph and the window: every drop opens a diff. */
export function useDiffDrop() {
  const diff = useDiffStore();
  const notices = useNoticesStore();

  /** Whether a drag over a checkpoint may drop there (another checkpoint, or files). */
  function acceptsOnCheckpoint(event: DragEvent): boolean {
    return isCheckpointDrag(event) || isFileDrag(event);
  }

  /** Dropped onto checkpoint `targetId`: it becomes A (the base) and the dragged one B, Δ = B − A. */
  function dropOnCheckpoint(event: DragEvent, targetId: number): void {
    const target: CheckpointRef = { checkpointId: targetId };
    const dragged = droppedCheckpointId(event);
    if (dragged !== null) {
      void diff.open(target, { checkpointId: dragged });
      return;
    }
    const files = fileRefs(event);
    if (files === null) return;
    if (files.length > 1)
      notices.push('info', 'Only the first dropped file was compared with the checkpoint.');
    void diff.open(target, files[0] as CheckpointRef);
  }

  /** Dropped anywhere else: two model files or folders are diffed (the first is A). */
  function dropFiles(event: DragEvent): void {
    if (!isFileDrag(event)) return;
    const files = fileRefs(event);
    if (files === null) return;
    if (files.length === 1) {
      notices.push(
        'info',
        'Drop two model files or folders together to diff them, or drop one onto a checkpoint in the tree or lineage graph.',
      );
      return;
    }
    const refused = diff.openPaths(files.map((ref) => ('file' in ref ? ref.file : '')));
    if (refused !== null) notices.push('info', refused.message);
  }

  return { acceptsOnCheckpoint, dropOnCheckpoint, dropFiles };
}
