import { z } from 'zod';
import { TensorEntrySchema } from '../shared/domain';
import { DeltascopeError } from '../shared/errors';
import type { DeltascopeDb, PutArtifactInput } from '../store';
import { packTensorMap, tensorMapFromManifest, tensorMapFromTensors, type NamedTensor } from '../weights';

/**
 * Trainable masks for sparse fine-tuning, stored as an artifact: `manifest` is the tensor manifest
 * (name, shape, float32, byte offset and length, the checkpoint layout) and `data` the float32
 * values, 1 = train the element, 0 = keep it frozen. Tensors the mask does not name stay trainable.
 */

export const TRAINABLE_MASK_KIND = 'trainable-mask';

/** The artifact input for masks (checked: unique names, ∏shape values each, only 0 and 1). */
export function trainableMaskArtifact(
  experimentId: number | null,
  name: string,
  masks: Iterable<NamedTensor>,
  recipe: unknown = {},
): PutArtifactInput {
  const map = tensorMapFromTensors(masks, `mask "${name}"`);
  for (const tensor of map.values()) {
    if (tensor.data.some((x) => x !== 0 && x !== 1)) {
      throw new DeltascopeError(
        'INVALID_PAYLOAD',
        `mask "${name}": tensor \`${tensor.name}\` holds values other than 0 and 1`,
      );
    }
  }
  const packed = packTensorMap(map);
  return {
    experimentId,
    kind: TRAINABLE_MASK_KIND,
    name,
    recipe,
    manifest: packed.manifest,
    data: new Uint8Array(packed.weights.buffer, packed.weights.byteOffset, packed.weights.byteLength),
  };
}

/** The masks of artifact `artifactId` by tensor name, as copies. */
export function readTrainableMask(db: DeltascopeDb, artifactId: number): Record<string, Float32Array> {
  const artifact = db.artifacts.get(artifactId);
  const where = `artifact ${artifactId} (spec.trainableMask)`;
  const manifest = z.array(TensorEntrySchema).safeParse(artifact.manifest);
  if (artifact.data === null || !manifest.success || artifact.data.byteLength % 4 !== 0) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `${where} is a "${artifact.kind}" artifact, not a trainable mask (a tensor manifest with float32 data).`,
      { artifactId },
    );
  }
  const floats = new Float32Array(artifact.data.slice().buffer);
  const map = tensorMapFromManifest(manifest.data, floats, where);
  return Object.fromEntries([...map.values()].map((t) => [t.name, t.data.slice()]));
}
