import { describe, expect, it } from 'vitest';
import { devToolsAllowed, viewSubmenu } from '../../../src-main/electron/menu-template';

describe('the View menu', () => {
  const roles = (devTools: boolean) =>
    viewSubmenu(devTools, () => undefined).map((item) => item.role ?? item.label);

  it('has no DevTools (nor reload) in the packaged app', () => {
    expect(devToolsAllowed(true)).toBe(false);
    expect(roles(devToolsAllowed(true))).not.toContain('toggleDevTools');
    expect(roles(devToolsAllowed(true))).not.toContain('reload');
    expect(roles(false)).toEqual([
      'Run Browser',
      undefined,
      'resetZoom',
      'zoomIn',
      'zoomOut',
      'togglefullscreen',
    ]);
  });

  it('keeps DevTools in a development run', () => {
    expect(devToolsAllowed(false)).toBe(true);
    expect(roles(devToolsAllowed(false))).toContain('toggleDevTools');
  });
});
