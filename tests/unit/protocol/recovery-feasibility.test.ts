import { describe, expect, it } from 'vitest';
import { recoveryBlocking, recoveryBlockingNotes } from '../../../src-main/protocol/recovery-feasibility';
import { ExperimentSpecSchema } from '../../../src-main/shared/experiment-spec';

const spec = (env: Record<string, unknown>, criterion = true) =>
  ExperimentSpecSchema.parse({
    env: { size: 7, kinds: ['cheese', 'coin', 'red_gem', 'blue_gem'], ...env },
    rbs: [
      { name: 'coin', collect: { coin: 1 } },
      { name: 'gem', collect: { red_gem: 1 }, addToRA: true },
      { name: 'steps', stepCost: -0.01 },
    ],
    recoveryCriterion: criterion ? {} : null,
  });

describe('recovery to criterion that can keep a lean', () => {
  it("warns at env.loops when an RB's object stands on every path to RA's in many mazes", () => {
    const perfect = spec({ loops: 0, horizon: 24 });
    const blocking = recoveryBlocking(perfect);
    // The RB without an object of its own has nothing to block.
    expect(blocking.map((b) => [b.rb, b.kind, b.raKind])).toEqual([
      ['coin', 'coin', 'cheese'],
      ['gem', 'red_gem', 'cheese'],
    ]);
    for (const b of blocking) expect(b.rate).toBeGreaterThan(0.25);
    const notes = recoveryBlockingNotes(perfect);
    expect(notes.map((n) => n.path)).toEqual(['env.loops', 'env.loops']);
    expect(notes[0]!.message).toMatch(
      /^In \d+ % of mazes coin stands on every path to cheese within the horizon/,
    );
    expect(notes[0]!.message).toContain('cannot get RA back to criterion');
  });

  it('is quiet when loops let the agent go round, and without a criterion', () => {
    const open = spec({ loops: 0.75, horizon: 16 });
    for (const b of recoveryBlocking(open)) expect(b.rate).toBeLessThan(0.03);
    expect(recoveryBlockingNotes(open)).toEqual([]);
    expect(recoveryBlocking(spec({ loops: 0, horizon: 24 }, false))).toEqual([]);
  });
});
