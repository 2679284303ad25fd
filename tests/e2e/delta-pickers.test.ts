import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/server';
import { useE2eSession } from './helpers/session';

/**
 * Picking deltas by what they are, on the tiny protocol database of the previous version: base
 * checkpoint 5 (s1/pretrain) has two fine-tunes (coin → 8, gem → 14), a null control (26), derived
 * points of weight arithmetic (run s1/derived) and a recovery run (s1/control/recover → 28). The
 * Aggregate dialog pre-checks the fine-tunes only and offers the rest in labelled groups.
 */
const FIXTURE = join(REPO_ROOT, 'tests/fixtures/previous-version/v1-tiny-5x5.deltascope');
const BASE = 5;
const FINE_TUNES = [8, 14];
const shots = process.env.DELTASCOPE_E2E_SHOTS;

const e2e = useE2eSession('delta-pickers', 'v1.deltascope', (db) => copyFileSync(FIXTURE, db), {
  width: 1440,
  height: 900,
});

describe('delta pickers grouped by phase', () => {
  it('pre-checks only the fine-tunes of the chosen base in "Aggregate deltas…"', async () => {
    await e2e.page.locator('nav [data-view="relevance"]').click({ timeout: 30_000 });
    await e2e.page.getByTestId('aggregate-open').click();
    await e2e.page.getByTestId('aggregate-base').selectOption(String(BASE));
    const picker = e2e.page.getByTestId('aggregate-deltas');
    const checked = picker.locator('input:checked');
    await expect
      .poll(() => checked.evaluateAll((all) => all.map((i) => Number(i.getAttribute('data-checkpoint')))))
      .toEqual(FINE_TUNES);
    await expect(
      checked.evaluateAll((all) => [...new Set(all.map((i) => i.getAttribute('data-phase')))]),
    ).resolves.toEqual(['finetune']);
    await expect(
      picker
        .locator('details[data-phase]')
        .evaluateAll((all) => all.map((d) => d.getAttribute('data-phase'))),
    ).resolves.toEqual(['finetune', 'control', 'derived', 'recovery', 'other']);
    if (shots !== undefined) await e2e.page.screenshot({ path: join(shots, 'aggregate-groups.png') });
  });

  it('keeps the null control one labelled click away', async () => {
    const control = e2e.page.locator('[data-testid="aggregate-deltas"] details[data-phase="control"]');
    await expect(control.getAttribute('open')).resolves.toBeNull();
    await expect(control.locator('summary').innerText()).resolves.toMatch(/Null controls[\s\S]*0\/1 checked/);
    await e2e.page.getByTestId('aggregate-deltas-all-control').click();
    await expect(control.locator('input[data-checkpoint="26"]').isChecked()).resolves.toBe(true);
    await expect(control.getAttribute('open')).resolves.not.toBeNull();
  });
});
