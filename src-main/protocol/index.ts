// Public API of src-main/protocol: experiment specs → job graphs, and the analyses (pure functions).
export {
  buildJobGraph,
  checkGraph,
  countByKind,
  DERIVE_VARIANTS,
  deriveVariantsOf,
  maskDraws,
  JOB_GRAPH_FORMAT,
  MASK_SELECTIONS,
  nodeCost,
  nodeIds,
  nodeStatuses,
  nullControlSeed,
  otherRbIndex,
  positiveControlSeed,
  randomDirectionSeed,
  randomMaskSeed,
  recoveryOfDerived,
  type AnalysisKind,
  type DeriveVariant,
  type JobGraph,
  type JobNode,
  type MaskSelection,
  type NodeKind,
  type NodeParams,
  type NodeStatus,
  type TrainRole,
} from './job-graph';
export { trainingSpecOfNode, type ResolvedInputs } from './node-specs';
export {
  latestNodeStates,
  NodeOutputsSchema,
  NodeStateSchema,
  PROTOCOL_ARTIFACT_KINDS,
  type NodeOutputs,
  type NodeState,
} from './artifacts';
export { controlDirection, derivedMap, deriveFormula, type DeriveExtras } from './derive';
export {
  cosineOf,
  updateSignals,
  UPDATE_SIGNALS_FORMAT,
  type DeltaInput,
  type DeltaRole,
  type DeltaStatsSummary,
  type UpdateSignals,
} from './update-signals';
export {
  NEGATION_FORMAT,
  negationTable,
  pairedDifference,
  type NegationDifference,
  type NegationInput,
  type NegationMeasures,
  type NegationPointInput,
  type NegationRow,
  type NegationTable,
} from './negation';
export { behaviourMatrix, type BehaviourPolicy } from './behaviour-matrix';
export {
  pooledNegation,
  specificityContrast,
  successIndicator,
  type NegationMethod,
  type PooledNegationInput,
  type ReplicationNegationInput,
} from './negation-pooling';
export {
  movableRandomDirection,
  normMatchedLike,
  perTensorNorms,
  type ControlDirection,
} from './negation-controls';
export {
  concentrationOf,
  deltaOf,
  KNOWN_ANSWER_FORMAT,
  knownAnswerCheck,
  objectiveGroups,
  superpose,
  SUPERPOSITION_FORMAT,
  varianceRatio,
  type DeltaGroup,
  type KnownAnswerCheck,
  type RelevanceMapResult,
  type SuperpositionInput,
  type SuperpositionResult,
  type TensorConcentration,
  type VarianceRatioResult,
} from './superposition';
export {
  fractionRecoveredCi,
  LOCALIZATION_FORMAT,
  localizationTable,
  maskSize,
  GRADIENT_MOVABLE_RULE,
  MOVABLE_RULE,
  movableRuleOf,
  nonZeroSet,
  movableSet,
  relevanceMask,
  type LocalizationInput,
  type LocalizationTable,
} from './localization';
export {
  pooledLocalization,
  pooledPermutationPValue,
  type PooledLocalizationInput,
  type ReplicationLocalizationInput,
} from './localization-pooling';
export { formatInterval, formatNumber, includesZero, reportStatements } from './statements';
export { buildReportHtml, type ReportCurve } from './report-html';
export type { ReportRelevanceMap } from './report-html-relevance';
export { reportCsvTables } from '../shared/tables/protocol-tables';
export {
  DEFAULT_SPIKE_IN_SNRS,
  DEFAULT_SPIKE_IN_STAGES,
  defaultSpikeInBlock,
  nullDriftSd,
  plantBlock,
  precisionAtK,
  SPIKE_IN_PASS_PRECISION,
  spikeInCalibration,
  type SpikeInInput,
  type SpikeInStages,
} from './spike-in';
export {
  channelOfElements,
  channelShares,
  GROUND_TRUTH_MIN_RATIO,
  observationGroundTruth,
  type GroundTruthInput,
} from './observation-ground-truth';
export { reportVerdicts, type VerdictInput } from './verdicts';
