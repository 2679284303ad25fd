import { onBeforeUnmount, onMounted, watch } from 'vue';
import { useAgentStore } from '../../stores/agent';

/** Positions advanced per second while playing. */
export const PLAY_RATE = 6;

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/** Space plays/pauses, ← / → step (Shift: 10 steps), Home / End jump; a timer advances while playing. */
export function useEpisodePlayer(): void {
  const agent = useAgentStore();
  let timer: ReturnType<typeof setInterval> | null = null;

  const onKeydown = (event: KeyboardEvent): void => {
    if (isTyping(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (agent.recording === null) return;
    // Space on a focused button presses that button, as everywhere else.
    if (event.key === ' ' && event.target instanceof HTMLButtonElement) return;
    const stride = event.shiftKey ? 10 : 1;
    if (event.key === ' ') agent.togglePlay();
    else if (event.key === 'ArrowRight') agent.step(stride);
    else if (event.key === 'ArrowLeft') agent.step(-stride);
    else if (event.key === 'Home') agent.seek(0);
    else if (event.key === 'End') agent.seek(agent.positions - 1);
    else return;
    if (event.key !== ' ') agent.playing = false;
    event.preventDefault();
  };

  const stopTimer = (): void => {
    if (timer !== null) clearInterval(timer);
    timer = null;
  };

  watch(
    () => agent.playing,
    (playing) => {
      stopTimer();
      if (playing) timer = setInterval(() => agent.tick(), 1000 / PLAY_RATE);
    },
  );

  onMounted(() => window.addEventListener('keydown', onKeydown));
  onBeforeUnmount(() => {
    window.removeEventListener('keydown', onKeydown);
    stopTimer();
    agent.playing = false;
  });
}
