// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { createApp, h } from 'vue';
import ProtocolReportVerdicts from '../../../../../src-renderer/components/protocol/ProtocolReportVerdicts.vue';
import { reportVerdicts } from '../../../../../src-main/protocol';
import { plantedReplications, pooled } from '../../../protocol/localization-pooling-fixture';
import { reportFixture } from '../../../protocol/report-fixture';

describe('the report verdicts in the app', () => {
  it('opens the report with one paragraph per question, each saying whether it is a finding or was not run', () => {
    const report = reportFixture();
    report.pooledLocalization = pooled(plantedReplications(1));
    report.verdicts = reportVerdicts(report);
    const root = document.createElement('div');
    document.body.append(root);
    createApp({ render: () => h(ProtocolReportVerdicts, { report }) }).mount(root);
    const paragraphs = [...root.querySelectorAll<HTMLElement>('[data-question]')];
    expect(paragraphs.map((p) => [p.dataset.question, p.dataset.kind])).toEqual([
      ['negation', 'not-run'],
      ['superposition', 'note'],
      ['localization', 'note'],
      ['known-answer', 'not-run'],
    ]);
    expect(paragraphs[3]!.textContent).toContain('(not run)');
    expect(paragraphs[2]!.textContent).toContain('R = 1: not replicated');
    // No pooled rows yet: no pooled chart.
    expect(root.querySelector('[data-testid="pooled-negation-chart"]')).toBeNull();
  });
});
