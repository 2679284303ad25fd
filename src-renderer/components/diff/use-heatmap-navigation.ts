import { onBeforeUnmount, onMounted, ref, shallowRef, type Ref } from 'vue';
import { createHeatmapRenderer, type FrameInfo, type HeatmapRenderer } from '../../heatmap';

export interface HeatmapNavigationOptions {
  /** The renderer exists and has its size: load the tiles. */
  onReady: (renderer: HeatmapRenderer) => void;
  /** A tile request failed. */
  onError: (error: unknown) => void;
  /** After every frame (rulers and status follow it). */
  onFrame?: (frame: FrameInfo) => void;
  /** The pointer rests at (x, y) in the canvas (CSS px), or left it (null) / started a drag. */
  onPointer: (point: { x: number; y: number } | null) => void;
}

const PAN_STEP = 40;
const ZOOM_STEP = 1.25;

/**
 * A heatmap renderer over `canvas`, sized to `host`, with pan (drag, arrow keys; Shift for larger
 * steps), zoom (wheel about the pointer, + and −) and fit (0). Everything it starts (renderer,
 * resize observer, pointer capture) ends when the component unmounts.
 */
export function useHeatmapNavigation(
  host: Ref<HTMLElement | null>,
  canvas: Ref<HTMLCanvasElement | null>,
  options: HeatmapNavigationOptions,
) {
  let renderer: HeatmapRenderer | null = null;
  let resizeObserver: ResizeObserver | null = null;
  let drag: { x: number; y: number; id: number } | null = null;
  const dragging = ref(false);
  const frame = shallowRef<FrameInfo | null>(null);

  function localPoint(event: MouseEvent): { x: number; y: number } {
    const rect = (host.value as HTMLElement).getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  }

  function zoomBy(factor: number, x?: number, y?: number): void {
    renderer?.zoomBy(factor, x, y);
  }

  function fit(): void {
    renderer?.fit();
  }

  function onPointerDown(event: PointerEvent): void {
    if (event.button !== 0) return;
    host.value?.focus();
    host.value?.setPointerCapture(event.pointerId);
    drag = { x: event.clientX, y: event.clientY, id: event.pointerId };
    dragging.value = true;
    options.onPointer(null);
  }

  function onPointerMove(event: PointerEvent): void {
    if (drag !== null && drag.id === event.pointerId) {
      renderer?.panBy(event.clientX - drag.x, event.clientY - drag.y);
      drag = { ...drag, x: event.clientX, y: event.clientY };
      return;
    }
    options.onPointer(localPoint(event));
  }

  function onPointerUp(event: PointerEvent): void {
    if (drag === null || drag.id !== event.pointerId) return;
    host.value?.releasePointerCapture(event.pointerId);
    drag = null;
    dragging.value = false;
  }

  function onPointerLeave(): void {
    if (drag === null) options.onPointer(null);
  }

  function onWheel(event: WheelEvent): void {
    const point = localPoint(event);
    // Trackpads send many small deltas, mouse wheels a few large ones: both zoom smoothly.
    const delta = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY;
    renderer?.zoomBy(Math.exp(-delta * 0.0015), point.x, point.y);
    options.onPointer(point);
  }

  function onKeydown(event: KeyboardEvent): void {
    if (renderer === null) return;
    const step = event.shiftKey ? PAN_STEP * 5 : PAN_STEP;
    const moves: Record<string, () => void> = {
      '+': () => zoomBy(ZOOM_STEP),
      '=': () => zoomBy(ZOOM_STEP),
      '-': () => zoomBy(1 / ZOOM_STEP),
      _: () => zoomBy(1 / ZOOM_STEP),
      '0': fit,
      ArrowLeft: () => renderer?.panBy(step, 0),
      ArrowRight: () => renderer?.panBy(-step, 0),
      ArrowUp: () => renderer?.panBy(0, step),
      ArrowDown: () => renderer?.panBy(0, -step),
    };
    const move = moves[event.key];
    if (move === undefined) return;
    move();
    options.onPointer(null);
    event.preventDefault();
  }

  onMounted(() => {
    if (canvas.value === null || host.value === null) return;
    const created = createHeatmapRenderer(canvas.value, {
      background: '#e6e9ed',
      onFrame: (info) => {
        frame.value = info;
        options.onFrame?.(info);
      },
      onError: options.onError,
    });
    renderer = created;
    const observed = host.value;
    resizeObserver = new ResizeObserver(() =>
      created.resize(observed.clientWidth, observed.clientHeight, window.devicePixelRatio || 1),
    );
    resizeObserver.observe(observed);
    created.resize(observed.clientWidth, observed.clientHeight, window.devicePixelRatio || 1);
    options.onReady(created);
  });

  onBeforeUnmount(() => {
    resizeObserver?.disconnect();
    resizeObserver = null;
    drag = null;
    renderer?.destroy();
    renderer = null;
  });

  return {
    frame,
    dragging,
    renderer: (): HeatmapRenderer | null => renderer,
    zoomIn: () => zoomBy(ZOOM_STEP),
    zoomOut: () => zoomBy(1 / ZOOM_STEP),
    fit,
    handlers: { onPointerDown, onPointerMove, onPointerUp, onPointerLeave, onWheel, onKeydown },
  };
}
