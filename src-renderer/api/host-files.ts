import './host';

/**
 * The path of a File dropped from the operating system, read through the Electron preload
 * (`webUtils.getPathForFile`); null in a browser, where dropped files carry no path on the machine
 * running Deltascope.
 */
export function droppedFilePath(file: File): string | null {
  const host = window.deltascopeHost;
  if (host === undefined || host.mode !== 'electron' || typeof host.pathForFile !== 'function') return null;
  const path = host.pathForFile(file);
  return path === '' ? null : path;
}

/** True when dropped files can be read by path (the desktop app). */
export function canReadDroppedFiles(): boolean {
  const host = window.deltascopeHost;
  return host !== undefined && host.mode === 'electron' && typeof host.pathForFile === 'function';
}
