import { z } from 'zod';
import { KnownAnswerChecksResultSchema, PlantedBlockSchema } from './known-answer-checks';

/** The known-answer checks of a finished protocol experiment (issue 11 §5), one call with a verdict. */
export const protocolChecksMethods = {
  'protocol.knownAnswerChecks': {
    doc: 'Run the spike-in calibration and the observation ground truth on one replication of a finished unrestricted experiment; both are stored as artifacts and returned with a pass/fail verdict.',
    request: z
      .object({
        experimentId: z.number().int().positive(),
        /** Replication seed; default the experiment's first (seedBase). */
        seed: z.number().int().min(0).optional(),
        /** The planted block; default 1 % of the parameters in the largest tensor the null controls move. */
        block: PlantedBlockSchema.optional(),
        /** SNRs × the null drift's per-parameter SD; default 8, 4, 2, 1, 0.5, 0.25 (pass judged at 2). */
        snrs: z.array(z.number().gt(0).max(100)).min(1).max(12).optional(),
      })
      .strict(),
    response: KnownAnswerChecksResultSchema,
  },
} as const;
