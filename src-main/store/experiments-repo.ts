import type { ExperimentSummary } from '../shared/domain';
import { DeltascopeError } from '../shared/errors';
import { notFound, parseJsonColumn, requireId, requireText, toJsonText } from './row-checks';
import type { StoreContext } from './store-context';
import type { Row } from './tables';

export interface CreateExperimentInput {
  name: string;
  description?: string;
  /** The experiment spec as the user wrote it (any JSON); kept for reproducing the experiment. */
  spec?: unknown;
}

type ExperimentRow = Pick<Row<'experiments'>, 'id' | 'name' | 'description' | 'created_at'>;

const COLUMNS = 'id, name, description, created_at';

/** The `experiments` table. Names are unique within a file. */
export class ExperimentsRepo {
  constructor(private readonly ctx: StoreContext) {}

  create(input: CreateExperimentInput): ExperimentSummary {
    const name = requireText(input.name, 'experiment name');
    const description = input.description ?? '';
    if (typeof description !== 'string') {
      throw new DeltascopeError('INVALID_PAYLOAD', 'experiment description must be a string.');
    }
    const spec = input.spec === undefined ? null : toJsonText(input.spec, `spec of experiment "${name}"`);
    return this.ctx.write(() => {
      if (this.findByName(name) !== null) {
        throw new DeltascopeError(
          'INVALID_PAYLOAD',
          `An experiment named "${name}" already exists in ${this.ctx.path}.`,
        );
      }
      const result = this.ctx
        .statement('INSERT INTO experiments (name, description, spec, created_at) VALUES (?, ?, ?, ?)')
        .run(name, description, spec, new Date().toISOString());
      return this.get(Number(result.lastInsertRowid));
    });
  }

  get(id: number): ExperimentSummary {
    requireId(id, 'experiment id');
    return this.ctx.run(() => {
      const row = this.ctx.statement(`SELECT ${COLUMNS} FROM experiments WHERE id = ?`).get(id) as
        ExperimentRow | undefined;
      if (row === undefined) throw notFound(this.ctx, 'experiment', id);
      return toSummary(row);
    });
  }

  list(): ExperimentSummary[] {
    return this.ctx.run(() =>
      (this.ctx.statement(`SELECT ${COLUMNS} FROM experiments ORDER BY id`).all() as ExperimentRow[]).map(
        toSummary,
      ),
    );
  }

  /** The experiment with this name, created (with no description or spec) if absent. */
  findOrCreate(name: string): ExperimentSummary {
    requireText(name, 'experiment name');
    return this.ctx.write(() => this.findByName(name) ?? this.create({ name }));
  }

  /** The stored spec JSON, or null when the experiment was created without one. */
  getSpec(id: number): unknown {
    this.get(id);
    return this.ctx.run(() => {
      const text = this.ctx.statement('SELECT spec FROM experiments WHERE id = ?').pluck().get(id) as
        string | null;
      return text === null ? null : parseJsonColumn(this.ctx, text, `spec of experiment ${id}`);
    });
  }

  private findByName(name: string): ExperimentSummary | null {
    const row = this.ctx.statement(`SELECT ${COLUMNS} FROM experiments WHERE name = ?`).get(name) as
      ExperimentRow | undefined;
    return row === undefined ? null : toSummary(row);
  }
}

function toSummary(row: ExperimentRow): ExperimentSummary {
  return { id: row.id, name: row.name, description: row.description, createdAt: row.created_at };
}
