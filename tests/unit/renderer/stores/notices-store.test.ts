import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeltascopeError } from '@shared';
import { useNavigationStore } from '../../../../src-renderer/stores/navigation';
import { INFO_NOTICE_MS, useNoticesStore } from '../../../../src-renderer/stores/notices';

const corrupt = (): DeltascopeError =>
  new DeltascopeError('DATABASE_CORRUPT', 'Relevance map artifact 226 has an unreadable recipe.');

beforeEach(() => {
  setActivePinia(createPinia());
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('notices store', () => {
  it('shows a repeated error once, with how many times it was raised', () => {
    const notices = useNoticesStore();
    notices.reportError(corrupt(), 'Listing the relevance maps');
    notices.push('info', 'Saved.');
    notices.reportError(corrupt(), 'Listing the relevance maps');
    notices.reportError(corrupt(), 'Listing the relevance maps');
    expect(notices.notices.map((n) => [n.message, n.count])).toEqual([
      ['Saved.', 1],
      ['Relevance map artifact 226 has an unreadable recipe.', 3],
    ]);
  });

  it('keeps errors with the same message but another code apart', () => {
    const notices = useNoticesStore();
    notices.reportError(corrupt());
    notices.reportError(new DeltascopeError('NOT_FOUND', corrupt().message));
    expect(notices.notices).toHaveLength(2);
  });

  it('restarts a repeated info toast’s timer', () => {
    const notices = useNoticesStore();
    notices.push('info', 'Copied.');
    vi.advanceTimersByTime(INFO_NOTICE_MS - 100);
    notices.push('info', 'Copied.');
    vi.advanceTimersByTime(200);
    expect(notices.notices).toHaveLength(1);
    vi.advanceTimersByTime(INFO_NOTICE_MS);
    expect(notices.notices).toHaveLength(0);
  });

  it('clears the toasts of the screen left behind when the user navigates', () => {
    const notices = useNoticesStore();
    const navigation = useNavigationStore();
    navigation.show('relevance');
    notices.reportError(corrupt(), 'Listing the relevance maps');
    vi.advanceTimersByTime(1);
    navigation.show('relevance');
    expect(notices.notices).toHaveLength(1);
    navigation.show('diff');
    expect(notices.notices).toHaveLength(0);
  });

  it('keeps a toast raised by the action that navigates', () => {
    const notices = useNoticesStore();
    const navigation = useNavigationStore();
    notices.reportError(corrupt());
    vi.advanceTimersByTime(1);
    notices.push('info', 'Only the first dropped file was compared with the checkpoint.');
    navigation.show('diff');
    expect(notices.notices.map((n) => n.message)).toEqual([
      'Only the first dropped file was compared with the checkpoint.',
    ]);
  });
});
