// @vitest-environment happy-dom
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeltascopeError, PROTOCOL_NODE_KINDS, type MethodResponse } from '@shared';
import { ExperimentSpecSchema } from '@shared/experiment-spec';
import { recoveryBlockingNotes } from '../../../../../src-main/protocol/recovery-feasibility';
import ProtocolDesigner from '../../../../../src-renderer/components/protocol/ProtocolDesigner.vue';
import { VALIDATE_DEBOUNCE_MS } from '../../../../../src-renderer/stores/protocol';
import { FakeTransport } from '../../fake-transport';
import { find, mount, settle, type } from '../mount.dom';

const PRESET = JSON.parse(
  readFileSync(join(process.cwd(), 'resources', 'experiments', 'tiny-5x5.json'), 'utf8'),
) as Record<string, unknown>;

/**
 * The main side's `protocol.validate`, faked: 2 nodes per seed, every pretraining step counted once; its
 * notes are the real ones.
 */
function validate(params: unknown): MethodResponse<'protocol.validate'> {
  const parsed = ExperimentSpecSchema.safeParse((params as { spec: unknown }).spec);
  if (!parsed.success) return { ok: false, errors: [{ path: '', message: 'invalid' }] };
  const spec = parsed.data;
  return {
    ok: true,
    spec,
    nodes: 2 * spec.seeds,
    nodesByKind: Object.fromEntries(
      PROTOCOL_NODE_KINDS.map((kind) => [kind, kind === 'train' ? spec.seeds : 0]),
    ),
    trainingRuns: spec.seeds,
    estimate: {
      trainingSteps: spec.pretrainSteps,
      evaluationEpisodes: spec.evalEpisodes,
      stepsPerSecond: 1000,
      parallelRuns: 1,
      seconds: spec.pretrainSteps / 1000,
      basis: 'faked',
      cluster: null,
    },
    notes: recoveryBlockingNotes(spec),
  } as MethodResponse<'protocol.validate'>;
}

function transport(): FakeTransport {
  return new FakeTransport()
    .handle('protocol.presets', () => [
      { id: 'tiny-5x5', file: 'tiny-5x5.json', name: String(PRESET.name), spec: PRESET, errors: null },
    ])
    .handle('protocol.validate', validate)
    .handle('rewards.similarity', () => {
      throw new DeltascopeError('INVALID_SPEC', 'similarity not faked');
    });
}

const json = (root: ParentNode) => find<HTMLTextAreaElement>(root, '[data-testid="protocol-json"]');
const estimate = (root: ParentNode) => find(root, '[data-testid="protocol-estimate"]').textContent ?? '';
const errorPaths = (root: ParentNode) =>
  [...root.querySelectorAll('[data-testid="field-error"]')].map((e) => e.getAttribute('data-path'));

afterEach(() => {
  document.body.innerHTML = '';
});

describe('the experiment designer', () => {
  it('loads the first preset, and its estimate follows an edit of a budget field', async () => {
    const root = await mount(ProtocolDesigner, transport());
    expect(find<HTMLInputElement>(root, '[data-testid="protocol-name"]').value).toBe(PRESET.name);
    await settle(VALIDATE_DEBOUNCE_MS + 50);
    expect(estimate(root)).toContain(`${PRESET.pretrainSteps as number} env steps`);
    await type(find(root, '[data-testid="protocol-pretrainSteps"]'), '4096');
    expect(JSON.parse(json(root).value)).toMatchObject({ pretrainSteps: 4096 });
    await settle(VALIDATE_DEBOUNCE_MS + 50);
    expect(estimate(root)).toMatch(/2 nodes · 1 training runs · 4,?096 env steps/);
  });

  it('shows schema messages next to their fields, and the ones no field edits in the JSON editor', async () => {
    const root = await mount(ProtocolDesigner, transport());
    await type(find(root, '[data-testid="protocol-size"]'), '6');
    expect(errorPaths(root)).toEqual(['env.size']);
    const size = find(root, '[data-testid="protocol-size"]');
    expect(size.closest('label')?.querySelector('[data-path="env.size"]')?.textContent).toContain(
      'size must be odd',
    );
    expect(find<HTMLButtonElement>(root, '[data-testid="protocol-launch"]').disabled).toBe(true);
    await type(size, '5');
    expect(errorPaths(root)).toEqual([]);

    // RA's and the RBs' rows write their weights and "RA plus" into the draft.
    await type(root.querySelector('input[aria-label="RA weight of coin"]'), '0.25');
    const plus = find<HTMLInputElement>(root, 'input[aria-label="coin is RA plus this component"]');
    plus.checked = true;
    plus.dispatchEvent(new Event('change'));
    await settle();
    const draft = JSON.parse(json(root).value) as { ra: { collect: object }; rbs: { addToRA?: boolean }[] };
    expect(draft.ra.collect).toMatchObject({ coin: 0.25 });
    expect(draft.rbs[0]?.addToRA).toBe(true);

    // A PPO setting has no field of its own: its message stands in the (opened) JSON editor.
    await type(json(root), JSON.stringify({ ...draft, ppo: { numMinibatches: 0 } }));
    const editor = find<HTMLDetailsElement>(root, 'details.spec-json');
    expect(editor.open).toBe(true);
    expect(editor.querySelector('[data-testid="field-error"]')?.getAttribute('data-path')).toBe(
      'ppo.numMinibatches',
    );
  });

  it('edits recovery to criterion and the positive control, with their messages under their fields', async () => {
    const root = await mount(ProtocolDesigner, transport());
    const draft = () => JSON.parse(json(root).value) as Record<string, unknown>;
    expect(root.querySelector('[data-testid="protocol-criterion-maxSteps"]')).toBeNull();

    const criterion = find<HTMLInputElement>(root, '[data-testid="protocol-recovery-criterion"]');
    criterion.checked = true;
    criterion.dispatchEvent(new Event('change'));
    await settle();
    const maxSteps = find<HTMLInputElement>(root, '[data-testid="protocol-criterion-maxSteps"]');
    expect(maxSteps.value).toBe('100000');
    expect(find<HTMLInputElement>(root, '[data-testid="protocol-criterion-margin"]').value).toBe('0.03');
    await type(maxSteps, '10');
    await type(find(root, '[data-testid="protocol-criterion-margin"]'), '0.05');
    expect(draft().recoveryCriterion).toEqual({
      margin: 0.05,
      maxSteps: 10,
      checkEvery: 8192,
      episodes: 200,
    });
    // The tiny preset's PPO batch is 4 × 16 = 64 env steps: a cap of 10 is not one iteration.
    expect(errorPaths(root)).toEqual(['recoveryCriterion.maxSteps']);
    expect(maxSteps.closest('label')?.querySelector('[data-testid="field-error"]')?.textContent).toContain(
      '10 is less than one PPO iteration',
    );
    expect(find<HTMLButtonElement>(root, '[data-testid="protocol-launch"]').disabled).toBe(true);
    await type(maxSteps, '4096');
    expect(errorPaths(root)).toEqual([]);

    // The preset's perfect 5×5 maze often puts the coin on the only path to the cheese: the main side's
    // note says so in the box, and goes once loops let the agent go round.
    await settle(VALIDATE_DEBOUNCE_MS + 50);
    const notes = () =>
      [...root.querySelectorAll('[data-testid="protocol-negation-note"]')].map((n) => n.textContent ?? '');
    expect(notes()).toHaveLength(2);
    expect(notes()[0]).toMatch(/In \d+ % of mazes coin stands on every path to cheese/);
    await type(find(root, '[data-testid="protocol-loops"]'), '1');
    expect(draft().env).toMatchObject({ loops: 1 });
    await settle(VALIDATE_DEBOUNCE_MS + 50);
    expect(notes()).toEqual([]);

    const positive = find<HTMLInputElement>(root, '[data-testid="protocol-positive-control"]');
    positive.checked = true;
    positive.dispatchEvent(new Event('change'));
    await settle();
    expect(draft().positiveControl).toBe(true);
    expect(find(root, '[data-testid="protocol-positive-rewards"]').textContent).toContain('neg-coin');

    criterion.checked = false;
    criterion.dispatchEvent(new Event('change'));
    await settle();
    expect(draft()).not.toHaveProperty('recoveryCriterion');
    expect(root.querySelector('[data-testid="protocol-criterion-maxSteps"]')).toBeNull();
  });
});
