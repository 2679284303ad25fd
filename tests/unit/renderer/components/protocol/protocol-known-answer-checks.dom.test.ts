// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { createApp, h, nextTick } from 'vue';
import { DeltascopeError, type KnownAnswerChecksResult, type ProtocolReport } from '@shared';
import { createApiClient } from '../../../../../src-renderer/api/client';
import { provideApi } from '../../../../../src-renderer/api/provider';
import ProtocolKnownAnswerChecks from '../../../../../src-renderer/components/protocol/ProtocolKnownAnswerChecks.vue';
import { useProtocolChecksStore } from '../../../../../src-renderer/stores/protocol-checks';
import { groundTruthFixture, spikeInFixture } from '../../../protocol/known-answer-checks-fixture';
import { reportFixture } from '../../../protocol/report-fixture';
import { FakeTransport } from '../../fake-transport';

const settle = async (): Promise<void> => {
  for (let i = 0; i < 6; i++) await Promise.resolve();
  await nextTick();
};

function checks(pass: boolean): KnownAnswerChecksResult {
  const groundTruth = { ...groundTruthFixture(), pass };
  return {
    experimentId: 1,
    seed: 1,
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
      { method: 'protocol.knownAnswerChecks', params: { experimentId: 1 } },
    ]);
    expect(root.querySelector('[data-testid="protocol-checks-verdict"]')!.textContent).toBe('FAIL');
    const spike = root.querySelector('[data-testid="protocol-checks-spike-in"]')!.textContent!;
    expect(spike).toContain('mean (down to SNR 1) found the planted block');
    expect(spike).toContain('0.90');
    const truth = root.querySelector('[data-testid="protocol-checks-ground-truth"]')!.textContent!;
    expect(truth).toContain('gem 10.0 % on its own channel');
    expect(truth).toContain('40.0 %');

    answer = () => checks(true);
    button.click();
    await settle();
    expect(root.querySelector('[data-testid="protocol-checks-verdict"]')!.textContent).toBe('PASS');
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
    expect(useProtocolChecksStore().results.size).toBe(0);
  });
});
