import { z } from 'zod';
import {
  RunPhaseSchema,
  RunStatusSchema,
  type RunNode,
  type RunPhase,
  type RunStatus,
  type RunSummary,
} from '../shared/domain';
import { DeltascopeError } from '../shared/errors';
import { RewardSpecSchema } from '../shared/reward';
import type { CheckpointsRepo } from './checkpoints-repo';
import {
  checkStored,
  notFound,
  parseInput,
  parseStored,
  requireId,
  requireRow,
  requireText,
  toJsonText,
} from './row-checks';
import { StoreContext } from './store-context';
import type { Row } from './tables';

export interface CreateRunInput {
  experimentId: number;
  name: string;
  phase: RunPhase;
  reward: z.input<typeof RewardSpecSchema>;
  seed: number | null;
  config?: Record<string, unknown>;
  backend?: string | null;
  /** The checkpoint this run starts from (fine-tunes, controls), or null for a fresh start. */
  parentCheckpointId?: number | null;
  status?: RunStatus;
}

/** Every column of `runs`, with the run's checkpoint count and last step computed in SELECT_RUNS. */
type RunRow = Row<'runs'> & { checkpoint_count: number; last_step: number | null };

// checkpoint_count and last_step come from the (run_id, step) index without touching checkpoint rows.
const SELECT_RUNS = `
  SELECT r.id, r.experiment_id, r.name, r.phase, r.reward, r.seed, r.status, r.backend, r.parent_checkpoint_id,
         r.config, r.created_at,
         (SELECT COUNT(*) FROM checkpoints c WHERE c.run_id = r.id) AS checkpoint_count,
         (SELECT MAX(step) FROM checkpoints c WHERE c.run_id = r.id) AS last_step
  FROM runs r`;

const ConfigSchema = z.record(z.string(), z.unknown());
const SeedSchema = z.number().int().nullable();

/** The `runs` table: one training (or derived) run of an experiment. */
export class RunsRepo {
  constructor(
    private readonly ctx: StoreContext,
    private readonly checkpoints: CheckpointsRepo,
  ) {}

  create(input: CreateRunInput): RunSummary {
    const experimentId = requireId(input.experimentId, 'run experimentId');
    const name = requireText(input.name, 'run name');
    const phase = parseInput(RunPhaseSchema, input.phase, 'run phase');
    const reward = parseInput(RewardSpecSchema, input.reward, 'run reward');
    const seed = parseInput(SeedSchema, input.seed, 'run seed');
    const config = parseInput(ConfigSchema, input.config ?? {}, 'run config');
    const status = parseInput(RunStatusSchema, input.status ?? 'created', 'run status');
    const backend = input.backend ?? null;
    if (backend !== null && typeof backend !== 'string') {
      throw new DeltascopeError('INVALID_PAYLOAD', 'run backend must be a string or null.');
    }
    const parentId = input.parentCheckpointId ?? null;
    if (parentId !== null) requireId(parentId, 'run parentCheckpointId');

    return this.ctx.write(() => {
      requireRow(this.ctx, 'experiment', experimentId);
      if (parentId !== null) requireRow(this.ctx, 'checkpoint', parentId);
      const result = this.ctx
        .statement(
          `INSERT INTO runs (id, experiment_id, name, phase, reward, seed, status, backend, parent_checkpoint_id, config, created_at)
           VALUES (${StoreContext.nextIdSql('runs')}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          this.ctx.idFloor,
          experimentId,
          name,
          phase,
          JSON.stringify(reward),
          seed,
          status,
          backend,
          parentId,
          toJsonText(config, 'run config'),
          new Date().toISOString(),
        );
      return this.get(Number(result.lastInsertRowid));
    });
  }

  get(id: number): RunSummary {
    requireId(id, 'run id');
    return this.ctx.run(() => {
      const row = this.ctx.statement(`${SELECT_RUNS} WHERE r.id = ?`).get(id) as RunRow | undefined;
      if (row === undefined) throw notFound(this.ctx, 'run', id);
      return this.toSummary(row);
    });
  }

  /** The run with its checkpoints, read in one snapshot. */
  getNode(id: number): RunNode {
    return this.ctx.read(() => ({ ...this.get(id), checkpoints: this.checkpoints.listByRun(id) }));
  }

  listByExperiment(experimentId: number): RunSummary[] {
    requireId(experimentId, 'experiment id');
    return this.ctx.read(() => {
      requireRow(this.ctx, 'experiment', experimentId);
      const rows = this.ctx
        .statement(`${SELECT_RUNS} WHERE r.experiment_id = ? ORDER BY r.id`)
        .all(experimentId);
      return (rows as RunRow[]).map((row) => this.toSummary(row));
    });
  }

  /** Every run, by id (for the experiment tree). */
  listAll(): RunSummary[] {
    return this.ctx.run(() =>
      (this.ctx.statement(`${SELECT_RUNS} ORDER BY r.id`).all() as RunRow[]).map((row) =>
        this.toSummary(row),
      ),
    );
  }

  /** Sets the status, and the compute backend when one is given (undefined leaves it unchanged). */
  setStatus(id: number, status: RunStatus, backend?: string | null): void {
    requireId(id, 'run id');
    const checked = parseInput(RunStatusSchema, status, 'run status');
    if (backend !== undefined && backend !== null && typeof backend !== 'string') {
      throw new DeltascopeError('INVALID_PAYLOAD', 'run backend must be a string or null.');
    }
    this.ctx.write(() => {
      const result =
        backend === undefined
          ? this.ctx.statement('UPDATE runs SET status = ? WHERE id = ?').run(checked, id)
          : this.ctx
              .statement('UPDATE runs SET status = ?, backend = ? WHERE id = ?')
              .run(checked, backend, id);
      if (result.changes === 0) throw notFound(this.ctx, 'run', id);
    });
  }

  private toSummary(row: RunRow): RunSummary {
    const where = `run ${row.id}`;
    return {
      id: row.id,
      experimentId: row.experiment_id,
      name: row.name,
      phase: checkStored(this.ctx, RunPhaseSchema, row.phase, `phase of ${where}`),
      reward: parseStored(this.ctx, RewardSpecSchema, row.reward, `reward of ${where}`),
      seed: row.seed,
      status: checkStored(this.ctx, RunStatusSchema, row.status, `status of ${where}`),
      backend: row.backend,
      parentCheckpointId: row.parent_checkpoint_id,
      config: parseStored(this.ctx, ConfigSchema, row.config, `config of ${where}`),
      createdAt: row.created_at,
      checkpointCount: row.checkpoint_count,
      lastStep: row.last_step,
    };
  }
}
