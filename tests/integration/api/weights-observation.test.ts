import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OBS_CHANNELS,
  OBS_SIDE,
  OBS_TENSOR,
  writeObservationDatabase,
  type ObservationDatabase,
} from '../../fixtures/observation-db';
import { makeTempDir } from '../../helpers/temp-dir';
import { weightsService } from './weights-test-helpers';

const temp = makeTempDir('weights-observation');
let fixture: ObservationDatabase;
let api: ReturnType<typeof weightsService>;

beforeAll(() => {
  const path = join(temp.dir, 'observation.deltascope');
  fixture = writeObservationDatabase(path);
  api = weightsService(temp.dir, path);
});
afterAll(() => {
  api.service.dispose();
  temp.cleanup();
});

const expected = {
  view: 'global',
  channels: [...OBS_CHANNELS],
  height: OBS_SIDE,
  width: OBS_SIDE,
  agentCell: null,
  inputs: [{ tensor: OBS_TENSOR, kind: 'dense-rows' }],
};

describe('weights.observation', () => {
  it("reads a checkpoint's observation off its run's env and net config", async () => {
    await expect(
      api.call('weights.observation', { ref: { checkpointId: fixture.tunedCheckpointId } }),
    ).resolves.toEqual(expected);
  });

  it("gives a relevance map its base checkpoint's observation", async () => {
    const map = await api.call('weights.aggregate', {
      base: fixture.baseCheckpointId,
      deltas: [fixture.tunedCheckpointId],
      aggregator: { kind: 'mean' },
    });
    await expect(api.call('weights.observation', { ref: { artifactId: map.artifactId } })).resolves.toEqual(
      expected,
    );
  });

  it('is null for a run without an env config and for a model file', async () => {
    await expect(
      api.call('weights.observation', { ref: { checkpointId: fixture.importedCheckpointId } }),
    ).resolves.toBeNull();
    await expect(
      api.call('weights.observation', { ref: { file: '/nowhere.safetensors' } }),
    ).resolves.toBeNull();
  });

  it('names a checkpoint that does not exist', async () => {
    const error = await api.fail('weights.observation', { ref: { checkpointId: 999 } });
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain('999');
  });
});
