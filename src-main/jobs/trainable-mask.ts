import type { z } from 'zod';
import { decodeArtifact, encodeArtifact, type EncodedArtifact } from '../shared/artifact-codec';
import type { TrainableMaskRecipeSchema } from '../shared/artifact-schemas';
import { DeltascopeError } from '../shared/errors';
import type { DeltascopeDb } from '../store';
import { packTensorMap, tensorMapFromManifest, tensorMapFromTensors, type NamedTensor } from '../weights';

/**
 * Trainable masks for sparse fine-tuning, stored as a "trainable-mask" artifact
 * (shared/artifact-schemas.ts): `manifest` is the tensor manifest (the checkpoint layout) and `data`
 * the float32 values, 1 = train the element, 0 = keep it frozen. Tensors the mask does not name stay
 * trainable.
 */

export const TRAINABLE_MASK_KIND = 'trainable-mask' as const;

/** The artifact input for masks (checked: unique names, ∏shape values each, only 0 and 1). */
export function trainableMaskArtifact(
  experimentId: number | null,
  name: string,
  masks: Iterable<NamedTensor>,
  recipe: z.input<typeof TrainableMaskRecipeSchema> = {},
): EncodedArtifact {
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
  return encodeArtifact(
    TRAINABLE_MASK_KIND,
    { experimentId, name },
    { recipe, manifest: packed.manifest, data: packed.weights },
  );
}

/** The masks of artifact `artifactId` by tensor name, as copies. */
export function readTrainableMask(db: DeltascopeDb, artifactId: number): Record<string, Float32Array> {
  const artifact = db.artifacts.get(artifactId);
  const where = `artifact ${artifactId} (spec.trainableMask)`;
  if (artifact.kind !== TRAINABLE_MASK_KIND) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `${where} is a "${artifact.kind}" artifact, not a trainable mask.`,
      { artifactId },
    );
  }
  const content = decodeArtifact(TRAINABLE_MASK_KIND, artifact);
  const map = tensorMapFromManifest(content.manifest, content.data, where);
  return Object.fromEntries([...map.values()].map((t) => [t.name, t.data.slice()]));
}
