import { defineStore } from 'pinia';
import { ref } from 'vue';
import { DeltascopeError } from '@shared';

export type NoticeLevel = 'info' | 'error';

export interface Notice {
  id: number;
  level: NoticeLevel;
  message: string;
  /** The error code, when the notice comes from a failed call. */
  code?: string;
  /** What the user was doing, e.g. "Opening /data/x.deltascope". */
  context?: string;
  /** How many times this same notice (level, code and message) was raised while it showed. */
  count: number;
}

/** How long an info toast stays up; errors stay until dismissed or the view changes. */
export const INFO_NOTICE_MS = 6000;
/** Older notices are dropped beyond this many. */
const MAX_NOTICES = 5;

/** The message a user should read for any thrown value; never a stack trace. */
export function errorMessage(error: unknown): string {
  if (error instanceof DeltascopeError || error instanceof Error) return error.message;
  return String(error);
}

/** Two notices are the same toast when level, code and message agree (the context may differ). */
export function noticeKey(notice: Pick<Notice, 'level' | 'code' | 'message'>): string {
  return `${notice.level}\u0000${notice.code ?? ''}\u0000${notice.message}`;
}

export const useNoticesStore = defineStore('notices', () => {
  const notices = ref<Notice[]>([]);
  let nextId = 1;
  const infoTimers = new Map<number, ReturnType<typeof setTimeout>>();
  /**
   * Notices raised in the current task: they belong to the action that may be navigating right now
   * ("Only the first dropped file was compared…" then the diff opens), so that navigation keeps them.
   */
  const fresh = new Set<number>();

  function forgetTimer(id: number): void {
    const timer = infoTimers.get(id);
    if (timer !== undefined) clearTimeout(timer);
    infoTimers.delete(id);
  }

  function dismiss(id: number): void {
    forgetTimer(id);
    notices.value = notices.value.filter((n) => n.id !== id);
  }

  function markFresh(id: number): void {
    fresh.add(id);
    setTimeout(() => fresh.delete(id), 0);
  }

  function push(
    level: NoticeLevel,
    message: string,
    extra: { code?: string; context?: string } = {},
  ): number {
    const key = noticeKey({ level, message, ...extra });
    const same = notices.value.find((n) => noticeKey(n) === key);
    const id = same?.id ?? nextId++;
    const notice: Notice = { id, level, message, ...extra, count: (same?.count ?? 0) + 1 };
    // A repeat moves to the newest place with its count, instead of stacking another copy.
    const others = notices.value.filter((n) => n.id !== id);
    const kept = [...others, notice].slice(-MAX_NOTICES);
    for (const dropped of others) if (!kept.includes(dropped)) forgetTimer(dropped.id);
    notices.value = kept;
    markFresh(id);
    if (level === 'info') {
      forgetTimer(id);
      infoTimers.set(
        id,
        setTimeout(() => dismiss(id), INFO_NOTICE_MS),
      );
    }
    return id;
  }

  /** Shows a failed call's message (and code) as an error toast. */
  function reportError(error: unknown, context?: string): number {
    const code = error instanceof DeltascopeError ? error.code : undefined;
    return push('error', errorMessage(error), {
      ...(code === undefined ? {} : { code }),
      ...(context === undefined ? {} : { context }),
    });
  }

  /**
   * The user moved to another screen: the toasts raised before belong to the screen left behind.
   * Those raised by the action that navigated (in the same task) stay.
   */
  function clearOnNavigation(): void {
    for (const notice of notices.value) if (!fresh.has(notice.id)) forgetTimer(notice.id);
    notices.value = notices.value.filter((n) => fresh.has(n.id));
  }

  function clear(): void {
    for (const id of infoTimers.keys()) forgetTimer(id);
    notices.value = [];
  }

  return { notices, push, reportError, dismiss, clearOnNavigation, clear };
});
