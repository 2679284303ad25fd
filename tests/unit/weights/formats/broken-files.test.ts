import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../../../../src-main/weights/formats/safetensors';
import { readTfjsModel } from '../../../../src-main/weights/formats/tfjs-layers';
import { brokenSafetensorsCorpus, brokenTfjsCorpus } from '../../../fixtures/broken-files';
import { expectError } from '../helpers';

describe('broken safetensors files', () => {
  it.each(brokenSafetensorsCorpus().map((c) => [c.name, c] as const))(
    '%s → INVALID_FILE naming the problem',
    (_, c) => {
      const error = expectError(() => readSafetensors(c.bytes, 'broken.safetensors'), 'INVALID_FILE');
      expect(error.message.startsWith('broken.safetensors: ')).toBe(true);
      expect(error.message).toMatch(c.problem);
    },
  );
});

describe('broken TensorFlow.js models', () => {
  it.each(brokenTfjsCorpus().map((c) => [c.name, c] as const))(
    '%s → INVALID_FILE naming the problem',
    (_, c) => {
      const error = expectError(
        () => readTfjsModel(c.modelJson, (p) => c.shards.get(p), 'model.json'),
        'INVALID_FILE',
      );
      expect(error.message.startsWith('model.json: ')).toBe(true);
      expect(error.message).toMatch(c.problem);
    },
  );
});
