/** HTML5 drag and drop of checkpoints (tree rows, lineage nodes) and of model files from the OS. */

export const CHECKPOINT_MIME = 'application/x-deltascope-checkpoint';

/** Starts dragging a checkpoint: its id under our own type, a readable line as text. */
export function startCheckpointDrag(event: DragEvent, checkpointId: number, label: string): void {
  const data = event.dataTransfer;
  if (data === null) return;
  data.setData(CHECKPOINT_MIME, String(checkpointId));
  data.setData('text/plain', `checkpoint ${checkpointId}: ${label}`);
  data.effectAllowed = 'copyLink';
}

/** During dragover only the types are readable: is a checkpoint being dragged? */
export function isCheckpointDrag(event: DragEvent): boolean {
  return event.dataTransfer?.types.includes(CHECKPOINT_MIME) ?? false;
}

/** Is a file from the operating system being dragged? */
export function isFileDrag(event: DragEvent): boolean {
  return event.dataTransfer?.types.includes('Files') ?? false;
}

/** The dragged checkpoint's id, readable on drop; null for any other drag. */
export function droppedCheckpointId(event: DragEvent): number | null {
  const text = event.dataTransfer?.getData(CHECKPOINT_MIME) ?? '';
  const id = Number.parseInt(text, 10);
  return Number.isInteger(id) && id > 0 ? id : null;
}

/** Files dropped from the operating system, in drop order. */
export function droppedFiles(event: DragEvent): File[] {
  return [...(event.dataTransfer?.files ?? [])];
}
