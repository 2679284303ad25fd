import type { ExperimentNode } from '../shared';
import { defineCommand } from './define-command';
import { openForCommand } from './open-database';

export const infoCommand = defineCommand({
  name: 'info',
  summary: 'show what a database holds',
  usage: 'info <file.deltascope> [--json]',
  description: `Shows what a Deltascope database holds: schema version, size, counts, each
experiment's runs (phase, reward, seed, checkpoints, last step) and its stored
relevance maps, named map:<id> as \`deltascope diff\` takes them.`,
  options: {
    json: { type: 'boolean', help: 'print one JSON object instead of text' },
  },
  args: { count: 1, message: 'info needs exactly one database file.' },
  async run({ values, positionals }, io) {
    const db = openForCommand(positionals[0]!, 'read', io);
    try {
      const info = db.info(false);
      const tree = db.tree();
      const maps = db.artifacts
        .list()
        .filter((artifact) => artifact.kind === 'relevance-map')
        .map((artifact) => ({
          ref: `map:${artifact.id}`,
          id: artifact.id,
          name: artifact.name,
          experimentId: artifact.experimentId,
        }));
      if (values.json) {
        io.out(
          JSON.stringify(
            { ...info, experiments: tree.map(summariseExperiment), relevanceMaps: maps },
            null,
            2,
          ),
        );
      } else {
        io.out(`${info.path}`);
        io.out(`  schema v${info.schemaVersion}, ${formatBytes(info.sizeBytes)}`);
        io.out(
          `  ${info.counts.experiments} experiments, ${info.counts.runs} runs, ${info.counts.checkpoints} checkpoints, ` +
            `${info.counts.metrics} metric rows, ${info.counts.artifacts} artifacts`,
        );
        for (const experiment of tree) {
          io.out(`  experiment #${experiment.id} ${experiment.name} (${experiment.runs.length} runs)`);
          for (const run of experiment.runs) {
            const seed = run.seed === null ? '' : ` seed ${run.seed}`;
            const last =
              run.lastStep === null
                ? 'no checkpoints'
                : `${run.checkpointCount} checkpoints, last step ${run.lastStep}`;
            io.out(
              `    run #${run.id} ${run.name} [${run.phase}] reward ${run.reward.name}${seed}, ${run.status}, ${last}`,
            );
          }
          for (const map of maps.filter((m) => m.experimentId === experiment.id)) {
            io.out(`    relevance map ${map.ref} ${map.name}`);
          }
        }
        for (const map of maps.filter((m) => m.experimentId === null)) {
          io.out(`  relevance map ${map.ref} ${map.name}`);
        }
      }
      return 0;
    } finally {
      db.close();
    }
  },
});

function summariseExperiment(experiment: ExperimentNode) {
  return {
    id: experiment.id,
    name: experiment.name,
    description: experiment.description,
    createdAt: experiment.createdAt,
    runs: experiment.runs.map((run) => ({
      id: run.id,
      name: run.name,
      phase: run.phase,
      reward: run.reward,
      seed: run.seed,
      status: run.status,
      backend: run.backend,
      parentCheckpointId: run.parentCheckpointId,
      createdAt: run.createdAt,
      checkpoints: run.checkpoints.map((checkpoint) => ({
        id: checkpoint.id,
        step: checkpoint.step,
        label: checkpoint.label,
        parentCheckpointId: checkpoint.parentCheckpointId,
        paramCount: checkpoint.paramCount,
        sha256: checkpoint.sha256,
      })),
    })),
  };
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}
