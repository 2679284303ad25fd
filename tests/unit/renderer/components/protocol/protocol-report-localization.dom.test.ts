// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import { createApp, h } from 'vue';
import ProtocolReportLocalization from '../../../../../src-renderer/components/protocol/ProtocolReportLocalization.vue';
import {
  noSignalReplications,
  plantedReplications,
  pooled,
} from '../../../protocol/localization-pooling-fixture';

function mount(p: ReturnType<typeof pooled>): HTMLElement {
  const root = document.createElement('div');
  document.body.append(root);
  createApp({ render: () => h(ProtocolReportLocalization, { pooled: p, exportName: 'fixture' }) }).mount(
    root,
  );
  return root;
}

// happy-dom has no canvas: the chart is drawn by ECharts' SVG renderer instead, at a fixed size.
vi.mock(
  '../../../../../src-renderer/components/protocol/protocol-echarts',
  () => import('./svg-protocol-echarts.dom'),
);

const cells = (row: Element): string[] => [...row.querySelectorAll('td')].map((td) => td.textContent!.trim());

describe('the pooled localization in the app', () => {
  it("shows each replication's own denominator and, per measure, the pooled interval and every replication", () => {
    const root = mount(pooled(plantedReplications(3)));
    const denominators = root.querySelector('[data-testid="pooled-localization-denominators"]')!.textContent!;
    expect(denominators).toMatch(/seed 1: \+0\.\d\d, seed 2: \+0\.\d\d, seed 3: \+0\.\d\d/);
    const rows = [...root.querySelectorAll('[data-testid="pooled-localization-table"] tbody tr')];
    expect(rows.map((r) => cells(r)[0])).toEqual([
      'top k % (the map)',
      'random k % (mean of the draws)',
      'bottom k % (the map)',
      'null-drift map top k %',
      'gradient-saliency top k %',
      'Fisher top k %',
      'top − random masks',
      'top − null-drift top k',
      'top − gradient-saliency top k',
      'top − Fisher top k',
    ]);
    for (const row of rows.slice(6)) {
      expect(row.getAttribute('data-status')).toBe('beats');
      expect(cells(row)[3]).toMatch(/^1: [+−]\d+, 2: [+−]\d+, 3: [+−]\d+$/);
      expect(cells(row)[4]).toBe('above 0: beats it');
    }
    expect(root.textContent).toContain('pooled permutation p = 0.005');
    // The forest plot: per replication a hollow dot on each of the 10 rows.
    const svg = root.querySelector('[data-testid="pooled-localization-chart"] svg')!;
    const hollow = [...svg.querySelectorAll('path')].filter((p) => p.getAttribute('fill') === '#fff');
    expect(hollow.length).toBe(3 * 10);
  });

  it('never marks a comparison without signal as beaten', () => {
    const root = mount(pooled(noSignalReplications(3)));
    const random = [...root.querySelectorAll('[data-testid="pooled-localization-table"] tbody tr')].find(
      (r) => cells(r)[0] === 'top − random masks',
    )!;
    expect(random.getAttribute('data-status')).toBe('includes-0');
    expect(cells(random)[4]).toBe('touches or includes 0: does not beat it');
  });
});
