import type { ReportRelevanceMap } from '../../protocol';
import { decodeArtifact } from '../../shared/artifact-codec';
import type { ProtocolReport } from '../../shared';
import { RELEVANCE_MAP_ARTIFACT_KIND } from '../../shared/contract-weights';
import { relevanceMapTensors } from '../../shared/relevance-map-content';
import type { DeltascopeDb } from '../../store';
import { observationOfMap } from '../weights/weights-observation';

/**
 * The relevance maps a report draws as heatmaps: per replication, each aggregator's map, the null-drift
 * map and the variance-ratio map that its superposition analysis stored, with their tensors and the
 * observation their first layer reads. A map that does not decode throws DATABASE_CORRUPT naming it.
 */
export function reportRelevanceMaps(db: DeltascopeDb, report: ProtocolReport): ReportRelevanceMap[] {
  return report.seeds.flatMap((seed) => {
    const data = seed.superposition;
    if (data === null) return [];
    const stored = [
      ...data.maps.map((m) => ({ label: m.aggregator, artifactId: m.artifactId })),
      ...(data.nullMap === null ? [] : [{ label: 'null drift', artifactId: data.nullMap.artifactId }]),
      ...(data.varianceRatio?.status === 'computed'
        ? [{ label: 'variance ratio', artifactId: data.varianceRatio.artifactId }]
        : []),
    ];
    return stored.map(({ label, artifactId }) => {
      const artifact = db.artifacts.get(artifactId);
      const content = decodeArtifact(RELEVANCE_MAP_ARTIFACT_KIND, artifact);
      const layout = observationOfMap(
        db,
        { recipe: content.recipe, experimentId: artifact.experimentId },
        content.manifest.entries,
      );
      return { seed: seed.seed, label, artifactId, tensors: relevanceMapTensors(content), layout };
    });
  });
}
