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
}

/** How long an info toast stays up; errors stay until dismissed. */
export const INFO_NOTICE_MS = 6000;
/** Older notices are dropped beyond this many. */
const MAX_NOTICES = 5;

/** The message a user should read for any thrown value; never a stack trace. */
export function errorMessage(error: unknown): string {
  if (error instanceof DeltascopeError || error instanceof Error) return error.message;
  return String(error);
}

export const useNoticesStore = defineStore('notices', () => {
  const notices = ref<Notice[]>([]);
  let nextId = 1;

  function dismiss(id: number): void {
    notices.value = notices.value.filter((n) => n.id !== id);
  }

  function push(
    level: NoticeLevel,
    message: string,
    extra: { code?: string; context?: string } = {},
  ): number {
    const id = nextId;
    nextId += 1;
    const notice: Notice = { id, level, message, ...extra };
    notices.value = [...notices.value, notice].slice(-MAX_NOTICES);
    if (level === 'info') setTimeout(() => dismiss(id), INFO_NOTICE_MS);
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

  function clear(): void {
    notices.value = [];
  }

  return { notices, push, reportError, dismiss, clear };
});
