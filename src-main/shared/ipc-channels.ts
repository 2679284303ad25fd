/**
 * The two Electron IPC channels: one for calls (invoke/handle), one for pushed events.
 * Kept in their own dependency-free file so the sandboxed preload bundles nothing else.
 */
export const IPC_CALL_CHANNEL = 'deltascope:call';
export const IPC_EVENT_CHANNEL = 'deltascope:event';
