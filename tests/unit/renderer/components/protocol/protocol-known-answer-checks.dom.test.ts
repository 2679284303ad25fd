// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp, h, nextTick } from 'vue';
import { DeltascopeError, type KnownAnswerChecksResult, type ProtocolReport } from '@shared';
import { createApiClient } from '../../../../../src-renderer/api/client';
import { provideApi } from '../../../../../src-renderer/api/provider';
import ProtocolKnownAnswerChecks from '../../../../../src-renderer/components/protocol/ProtocolKnownAnswerChecks.vue';
import { useProtocolChecksStore } from '../../../../../src-renderer/stores/protocol-checks';
import { groundTruthFixture, spikeInFixture } from '../../../protocol/known-answer-checks-fixture';
import { reportFixture } from '../../../protocol/report-fixture';
import { FakeTransport } from '../../fake-transport';

// happy-dom has no canvas: the charts are drawn by ECharts' SVG renderer instead.
vi.mock(
  '../../../../../src-renderer/components/protocol/protocol-echarts',
  () => import('./svg-protocol-echarts.dom'),
);

const settle = async (): Promise<void> => {
  for (let i = 0; i < 6; i++) await Promise.resolve();
  await nextTick();
};

function checks(pass: boolean, seed = 1): KnownAnswerChecksResult {
  const groundTruth = { ...groundTruthFixture(), pass, seed };
  return {
    experimentId: 1,
    seed,
    spikeIn: spikeInFixture(),
    spikeInArtifactId: 40,
    groundTruth,
    groundTruthSkipped: null,
    groundTruthArtifactId: 41,
    pass,
  };
}

let transport: FakeTransport;
let answer: () => KnownAnswerChecksResult;

beforeEach(() => {
  setActivePinia(createPinia());
  answer = () => checks(false);
  transport = new FakeTransport().handle('protocol.knownAnswerChecks', () => answer());
  provideApi(createApiClient(transport));
});

function mount(report: ProtocolReport): HTMLElement {
  const root = document.createElement('div');
  document.body.append(root);
  const pinia = createPinia();
  setActivePinia(pinia);
  createApp({ render: () => h(ProtocolKnownAnswerChecks, { report }) })
    .use(pinia)
    .mount(root);
  return root;
}

const finished = (): ProtocolReport => {
  const report = reportFixture();
  return { ...report, experimentId: 1, progress: { ...report.progress, complete: true } };
};

describe('the known-answer checks in the report view', () => {
  it('one click runs protocol.knownAnswerChecks and shows the verdict, the detection curve and the channel shares', async () => {
    const root = mount(finished());
    const button = root.querySelector<HTMLButtonElement>('[data-testid="protocol-checks-run"]')!;
    expect(button.disabled).toBe(false);
    expect(root.querySelector('[data-testid="protocol-checks-verdict"]')).toBeNull();
    button.click();
    await settle();
    expect(transport.calls.filter((c) => c.method === 'protocol.knownAnswerChecks')).toEqual([
      { method: 'protocol.knownAnswerChecks', params: { experimentId: 1, seed: 1 } },
    ]);
    expect(root.querySelector('[data-testid="protocol-checks-verdict"]')!.textContent).toBe('FAIL 0/1');
    expect(root.textContent).toContain('not replicated: fewer than 3 replications checked');
    expect(root.querySelector('[data-testid="protocol-checks-curve"]')).not.toBeNull();
    const spike = root.querySelector('[data-testid="protocol-checks-spike-in"]')!.textContent!;
    expect(spike).toContain('mean (down to SNR 1) found the planted block');
    expect(spike).toContain('0.90');
    const truth = root.querySelector('[data-testid="protocol-checks-ground-truth"]')!.textContent!;
    expect(truth).toContain('gem 10.0 % on its own channel');
    expect(truth).toContain('40.0 %');

    answer = () => checks(true);
    button.click();
    await settle();
    expect(root.querySelector('[data-testid="protocol-checks-verdict"]')!.textContent).toBe('PASS 1/1');
  });

  it("runs every replication in turn and shows each one, the pass count and the chosen replication's details", async () => {
    const report = finished();
    const three: ProtocolReport = {
      ...report,
      spec: { ...report.spec, seeds: 3 },
      seeds: [1, 2, 3].map((seed) => ({ ...report.seeds[0]!, seed })),
    };
    answer = () => {
      const seed = (transport.calls.at(-1)!.params as { seed: number }).seed;
      const result = checks(seed !== 2, seed);
      return seed === 2 ? { ...result, spikeIn: { ...result.spikeIn, pass: false, seed } } : result;
    };
    const root = mount(three);
    root.querySelector<HTMLButtonElement>('[data-testid="protocol-checks-run"]')!.click();
    await settle();
    await settle();
    expect(
      transport.calls.filter((c) => c.method === 'protocol.knownAnswerChecks').map((c) => c.params),
    ).toEqual([1, 2, 3].map((seed) => ({ experimentId: 1, seed })));
    expect(root.querySelector('[data-testid="protocol-checks-verdict"]')!.textContent).toBe('FAIL 2/3');
    expect(root.textContent).not.toContain('not replicated');
    const rows = [...root.querySelectorAll('[data-testid="protocol-checks-replications"] tbody tr')];
    expect(rows.map((r) => r.getAttribute('data-seed'))).toEqual(['1', '2', '3']);
    expect(rows[1]!.textContent).toContain('FAIL');
    const select = root.querySelector<HTMLSelectElement>('[data-testid="protocol-checks-seed"]')!;
    select.value = '2';
    select.dispatchEvent(new Event('change'));
    await settle();
    expect(root.querySelector('[data-testid="protocol-checks-spike-in"]')!.textContent).toContain(
      'Spike-in calibration (seed 2)',
    );
  });

  it('shows the checks the report has stored without running them', () => {
    const report = finished();
    const stored: ProtocolReport = {
      ...report,
      seeds: [{ ...report.seeds[0]!, spikeIn: spikeInFixture(), groundTruth: groundTruthFixture() }],
    };
    const root = mount(stored);
    expect(root.querySelector('[data-testid="protocol-checks-verdict"]')!.textContent).toMatch(
      /^(PASS|FAIL) \d\/1$/,
    );
    expect(root.querySelector('[data-testid="protocol-checks-run"]')!.textContent).toContain(
      'Run the checks again',
    );
    expect(transport.calls).toEqual([]);
  });

  it('is disabled for an experiment masked to one tensor, and a refused call shows its message', async () => {
    const masked = finished();
    const root = mount({ ...masked, spec: { ...masked.spec, knownAnswer: { tensor: 'policy.kernel' } } });
    expect(root.querySelector<HTMLButtonElement>('[data-testid="protocol-checks-run"]')!.disabled).toBe(true);
    expect(root.textContent).toContain('zero elsewhere by construction');

    answer = () => {
      throw new DeltascopeError('INVALID_SPEC', 'experiment 1: node s1/null/0 has not finished');
    };
    const other = mount(finished());
    other.querySelector<HTMLButtonElement>('[data-testid="protocol-checks-run"]')!.click();
    await settle();
    expect(other.textContent).toContain('node s1/null/0 has not finished');
    expect(useProtocolChecksStore().results.get(1)?.size ?? 0).toBe(0);
  });
});
