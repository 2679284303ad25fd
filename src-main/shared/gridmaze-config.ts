import { z } from 'zod';

/**
 * Configuration of the gridmaze environment (see src-main/engine/gridmaze/README.md for the exact
 * semantics). Every field has a default; the defaults are the benchmark's
 * (shared/bench/reference_ppo.py): S = 11, kinds [cheese, coin], H = 64, perfect maze, no termination
 * on collection, global view, uniform placement.
 */

/** Every object kind the environment knows, in canonical plane order. */
export const OBJECT_KINDS = ['cheese', 'coin', 'red_gem', 'blue_gem'] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];
export const ObjectKindSchema = z.enum(OBJECT_KINDS);

export const REGION_CORNERS = ['top-left', 'top-right', 'bottom-left', 'bottom-right'] as const;
export type RegionCorner = (typeof REGION_CORNERS)[number];

/** The placement rule that draws uniformly over all free open cells. */
export const UNIFORM_PLACEMENT = 'uniform';

export const GridMazeRegionSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_-]*$/)
      .max(64)
      .describe('Name used by reward `reach` weights and placement rules, e.g. "top_right".'),
    corner: z.enum(REGION_CORNERS).describe('Which interior corner of the grid the square region sits in.'),
    size: z
      .number()
      .int()
      .min(1)
      .describe('Side k of the k×k square of interior cells (the border wall is not counted).'),
  })
  .strict();
export type GridMazeRegion = z.output<typeof GridMazeRegionSchema>;

const placementRule = z
  .string()
  .min(1)
  .describe(`"${UNIFORM_PLACEMENT}" (any free open cell) or the name of a declared region.`);

export const GridMazeConfigSchema = z
  .object({
    size: z
      .number()
      .int()
      .min(5)
      .max(51)
      .refine((s) => s % 2 === 1, 'size must be odd')
      .default(11)
      .describe('Side S of the square grid (odd, 5–51); row 0 is the top and the border is wall.'),
    kinds: z
      .array(ObjectKindSchema)
      .min(1)
      .default(['cheese', 'coin'])
      .describe('Object kinds present, one object each, in canonical order; this is also the plane order.'),
    horizon: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(64)
      .describe('Episodes are truncated after this many steps (H).'),
    loops: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe('Probability of opening each remaining wall between two open cells (0 = perfect maze).'),
    terminateOn: z
      .enum(['none', 'any'])
      .default('none')
      .describe('"none": objects vanish and the episode runs to H; "any": collecting any object ends it.'),
    view: z
      .enum(['global', 'egocentric'])
      .default('global')
      .describe('"global": the S×S grid; "egocentric": a (2S−1)² window centred on the agent, wall outside.'),
    regions: z
      .array(GridMazeRegionSchema)
      .default([])
      .describe('Named corner regions, referred to by reward `reach` weights and by placement rules.'),
    placement: z
      .partialRecord(ObjectKindSchema, placementRule)
      .default({})
      .describe('Placement rule per kind, e.g. { cheese: "top_right" }; kinds not listed are uniform.'),
    agentStart: placementRule
      .default(UNIFORM_PLACEMENT)
      .describe('Placement rule of the agent start; the agent is placed before the objects.'),
  })
  .strict()
  .superRefine((config, ctx) => {
    const order = config.kinds.map((kind) => OBJECT_KINDS.indexOf(kind));
    if (order.some((rank, i) => i > 0 && rank <= (order[i - 1] ?? -1))) {
      ctx.addIssue({
        code: 'custom',
        path: ['kinds'],
        message: `kinds must be distinct and in the canonical order ${OBJECT_KINDS.join(', ')}; got ${config.kinds.join(', ')}`,
      });
    }
    const names = new Set<string>();
    config.regions.forEach((region, i) => {
      if (names.has(region.name) || region.name === UNIFORM_PLACEMENT) {
        ctx.addIssue({
          code: 'custom',
          path: ['regions', i, 'name'],
          message: `region name "${region.name}" is duplicated or reserved`,
        });
      }
      names.add(region.name);
      if (region.size > config.size - 2) {
        ctx.addIssue({
          code: 'custom',
          path: ['regions', i, 'size'],
          message: `region "${region.name}" has size ${region.size} but the interior is only ${config.size - 2} wide`,
        });
      }
    });
    const checkRule = (rule: string, path: (string | number)[]): void => {
      if (rule !== UNIFORM_PLACEMENT && !names.has(rule)) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `placement "${rule}" is neither "${UNIFORM_PLACEMENT}" nor a declared region (${[...names].join(', ') || 'none declared'})`,
        });
      }
    };
    for (const [kind, rule] of Object.entries(config.placement)) {
      if (rule === undefined) continue;
      if (!config.kinds.includes(kind as ObjectKind)) {
        ctx.addIssue({
          code: 'custom',
          path: ['placement', kind],
          message: `kind "${kind}" is not in kinds`,
        });
      }
      checkRule(rule, ['placement', kind]);
    }
    checkRule(config.agentStart, ['agentStart']);
  })
  .describe('A gridmaze environment: maze size, object kinds, horizon, loops, regions and placement rules.');

export type GridMazeConfig = z.output<typeof GridMazeConfigSchema>;
export type GridMazeConfigInput = z.input<typeof GridMazeConfigSchema>;
