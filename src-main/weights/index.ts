// Public API of src-main/weights: pure functions over Float32Array (see README.md).
// The fs wrappers in formats/*-file.ts are exported too; they are the only Node-dependent part.

export {
  formatShape,
  isValidShape,
  mapTensorData,
  packTensorMap,
  paramCount,
  shapeSize,
  tensorMapFromManifest,
  tensorMapFromTensors,
  tensorParamCounts,
  type NamedTensor,
  type PackedTensors,
  type TensorMap,
} from './tensor-map';
export {
  assertMatchingTensors,
  defaultLabels,
  describeMismatches,
  matchTensorMaps,
  mismatchError,
  type TensorMatch,
  type TensorMismatch,
} from './tensor-match';

export { DEFAULT_HISTOGRAM_BINS, type DeltaHistogram } from './delta-histogram';
export {
  accumulateDelta,
  createDeltaAccumulator,
  deltaStats,
  DEFAULT_EPSILON,
  finishDeltaStats,
  mergeDeltaAccumulators,
  type DeltaAccumulator,
  type DeltaStats,
  type DeltaStatsOptions,
} from './delta-stats';
export {
  addTensorDiff,
  createModelDiff,
  diffCheckpoints,
  finishModelDiff,
  type CheckpointDiff,
  type DiffOptions,
  type ModelDiffAccumulator,
  type TensorDiff,
} from './diff';

export {
  addMaps,
  alphaGrid,
  arithmeticProvenance,
  combineArrays,
  linearCombination,
  linspace,
  subtractMaps,
  type AlphaPoint,
  type ArithmeticProvenanceInput,
  type LinearTerm,
} from './arithmetic';
export { parseFormula, type FormulaBindings, type FormulaTerm, type LinearFormula } from './formula';
export { randomDirectionLike, randomTensorLike } from './random-direction';

export {
  AGGREGATOR_KINDS,
  aggregateDeltas,
  aggregateTensor,
  aggregationRecipe,
  DEFAULT_VARIANCE_EPSILON,
  NULL_SCALE_FLOOR_FRACTION,
  NULL_SD_MINIMUM,
  type AggregateOptions,
  type AggregationRecipe,
  type AggregatorKind,
  type AggregatorSpec,
  type TensorAggregationInput,
} from './aggregate';
export type { DareParams } from './aggregate-dare';
export type { TiesParams } from './aggregate-ties';

export {
  DEFAULT_TILE_SIZE,
  heatmapOverview,
  heatmapTile,
  levelSize,
  levelToFit,
  matrixShape,
  poolMatrix,
  symmetricColorScale,
  tensorAsMatrix,
  type ColorScale,
  type HeatmapMatrix,
  type HeatmapTile,
  type MatrixLayout,
  type TileRequest,
} from './heatmap-tiles';
export { kthLargestAbs, kthSmallestAbs } from './select';
export {
  absPercentile,
  absPercentileBin,
  absPercentileFrom,
  absPercentileIn,
  addToAbsHistogram,
  emptyAbsHistogram,
  type AbsHistogram,
  type AbsPercentile,
  type PercentileBin,
} from './abs-percentile';
export { buildPyramid, poolByTwo, poolRowsByTwo, pyramidTile } from './heatmap-pyramid';
export {
  baseLevelOf,
  buildHeatmapView,
  FULL_CELLS,
  tileNeedsRead,
  viewBytes,
  viewPercentile,
  viewTile,
  type HeatmapView,
  type HeatmapViewOptions,
} from './heatmap-view';
export {
  absInRange,
  deltaReader,
  poolingPass,
  readRegion,
  tensorReader,
  type HeatmapReader,
} from './heatmap-pass';
export { nativeHeatmapAvailable, setNativeHeatmap } from './native-heatmap';
export { deltaFill, readTensorDelta } from './tensor-delta';

export { readSafetensors, writeSafetensors, type ImportedWeights } from './formats/safetensors';
export {
  DEFAULT_MAX_SHARD_BYTES,
  readTfjsModel,
  writeTfjsModel,
  type ImportedTfjsModel,
  type ShardResolver,
  type TfjsModelFiles,
  type TfjsWriteOptions,
} from './formats/tfjs-layers';
export { jsonSyntaxProblem } from './formats/decode';
export { formatBytes } from './formats/checked-file';
export { readSafetensorsFile, writeSafetensorsFile } from './formats/safetensors-file';
export {
  openSafetensorsSource,
  resolveSafetensorsPath,
  type OpenSourceOptions,
} from './formats/safetensors-reader';
export {
  FINGERPRINT_BLOCK_BYTES,
  fingerprintDigest,
  fingerprintSafetensors,
  ModelFingerprintSchema,
  type ModelFingerprint,
} from './formats/file-fingerprint';
export { checkFingerprintStats, type ExpectedFiles } from './formats/fingerprint-reader';
export { SAFETENSORS_INDEX, parseSafetensorsIndex, type SafetensorsIndex } from './formats/safetensors-index';
export type { SafetensorsDtype } from './formats/safetensors-header';
export {
  DEFAULT_SHARD_BYTES,
  checkFolderTarget,
  partialFolderPath,
  planShards,
  writeSafetensorsFolder,
  writeSafetensorsFromSource,
  type FolderWriteOptions,
  type SafetensorsWriteOptions,
} from './formats/safetensors-writer';
export {
  DTYPE_BYTES,
  decodeChunk,
  encodeChunk,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
} from './formats/dtype-codec';
export {
  chunkRanges,
  mapSource,
  readWholeTensor,
  sourceParamCount,
  sourceTensors,
  sourceToMap,
  type SourceTensor,
  type TensorSource,
} from './tensor-source';
export {
  DEFAULT_MEMORY_BUDGET_BYTES,
  chunkElementsFor,
  diffSources,
  matchSources,
  type SourceDiff,
  type SourceDiffOptions,
} from './diff-stream';
export {
  chunkElementsForInputs,
  combinedSource,
  commonDtype,
  matchSourceList,
  type ChunkedSource,
  type CombinedSourceOptions,
  type SourceTerm,
} from './source-combine';
export { aggregatedSource, type AggregatedSource, type AggregatedSourceInput } from './source-aggregate';
export { readTfjsModelFile, writeTfjsModelFile, type TfjsFileWriteOptions } from './formats/tfjs-file';
