import { pooledEffect } from '../engine/pooling';
import type { PooledEffect, ProtocolReport, ReportVerdict } from '../shared';
import type { SpikeInData } from '../shared/known-answer-checks';
import { methodRow, negationVerdict } from '../shared/negation-verdict';
import { headlineK } from '../shared/localization-verdict';
import { pooledLocalizationText } from './localization-text';
import { formatIntervalNonZero, formatNumber } from './statements';

/**
 * The report's opening: one paragraph per question (negation, superposition, localization, known
 * answer), each pooled across replications with its CI and the controls it beat or failed to beat, or
 * saying plainly that the check was not run. A paragraph is a finding only when every claim in it is.
 */

export interface VerdictInput {
  spec: ProtocolReport['spec'];
  seeds: ProtocolReport['seeds'];
  pooledNegation: ProtocolReport['pooledNegation'];
  /** The localization test pooled across replications (absent: not run). */
  pooledLocalization?: ProtocolReport['pooledLocalization'];
}

// Enough decimals that a bound printed beside "beats" is never shown as 0.
const ci = (p: { estimate: number; low: number; high: number }, percent = false): string =>
  formatIntervalNonZero(p, { signed: true, percent });

function pooling(p: PooledEffect): string {
  const how = p.method === 't-interval' ? 't-interval over replications' : 'hierarchical bootstrap';
  return p.replicated ? `R = ${p.replications}, ${how}` : `R = ${p.replications}: not replicated`;
}

/** A value per replication pooled over replications (bootstrap over replications, or t when R ≥ 5). */
function overReplications(values: readonly number[], spec: VerdictInput['spec']): PooledEffect {
  return pooledEffect(
    values.map((v) => [v]),
    { resamples: spec.bootstrapResamples, confidence: spec.confidence, seed: spec.seedBase },
  );
}

function overall(kinds: readonly boolean[]): ReportVerdict['kind'] {
  if (kinds.length === 0) return 'not-run';
  if (kinds.every(Boolean)) return 'finding';
  return kinds.some(Boolean) ? 'note' : 'null-result';
}

function negationParagraph(input: VerdictInput): ReportVerdict {
  const rbs = input.spec.rbs.map((rb) => rb.name);
  const verdicts = rbs.flatMap((rb) => {
    const v = negationVerdict(input.pooledNegation, rb);
    return v === null ? [] : [v];
  });
  if (verdicts.length === 0) {
    return {
      question: 'negation',
      kind: 'not-run',
      text: 'Negation: no replication has finished its negation test yet.',
    };
  }
  const recovery = input.spec.recoveryCriterion;
  const how =
    recovery === null
      ? `after ${input.spec.recoverySteps} steps of recovery on RA`
      : `after recovery to criterion (RA success within ${formatNumber(recovery.margin, 2)} of the recovered control's, cap ${recovery.maxSteps} steps)`;
  const parts = verdicts.map((v) => {
    const steps = methodRow(input.pooledNegation, v.rb, 'negate', v.alpha)?.stepsToCriterion;
    const reached = steps?.filter((x) => x !== null).length;
    if (v.contrast === null) {
      return (
        `${v.rb}: no specificity contrast (it rewards no object kind, so its target cannot be told from the other objects)` +
        (steps === undefined ? '' : `; recovered in ${reached}/${steps.length} replications`) +
        ' — not tested'
      );
    }
    const head = `${v.rb} at α = ${v.alpha}: contrast ${ci(v.contrast)} (${pooling(v.contrast)})`;
    const beat = v.controls.filter((c) => c.beaten).map((c) => c.method);
    const failed = v.controls
      .filter((c) => !c.beaten)
      .map((c) => (c.contrast === null ? `${c.method} (not run)` : c.method));
    return (
      `${head}; beat ${beat.length === 0 ? 'no control' : beat.join(', ')}` +
      (failed.length === 0 ? '' : `; failed to beat ${failed.join(', ')}`) +
      (steps === undefined ? '' : `; recovered in ${reached}/${steps.length} replications`) +
      ` — ${v.finding ? 'a finding' : `not a finding (${v.reason})`}`
    );
  });
  const findings = verdicts.filter((v) => v.finding).map((v) => v.rb);
  const untestable = verdicts.filter((v) => v.contrast === null).length;
  const testable =
    untestable === 0
      ? `${verdicts.length} RB(s)`
      : `the ${verdicts.length - untestable} RB(s) with an object target (${untestable} without one have no specificity contrast)`;
  return {
    question: 'negation',
    kind: overall(verdicts.map((v) => v.finding)),
    text:
      `Negation (does −Δᵢ remove RBᵢ's lean rather than damage the agent?): the specificity contrast Δ P(target) − mean Δ P(other objects) of MA − α·Δᵢ vs the recovered control, ${how}, ` +
      `against norm-matched random, −Δ_null and −Δ_other controls. ${parts.join('. ')}. ` +
      (findings.length === 0
        ? 'Negation is not shown to remove a targeted lean for any RB (null result).'
        : `Negation is a finding for ${findings.join(', ')} of ${testable}.`),
  };
}

function superpositionParagraph(input: VerdictInput): ReportVerdict {
  const seeds = input.seeds.filter((s) => s.superposition !== null);
  if (seeds.length === 0) {
    return {
      question: 'superposition',
      kind: 'not-run',
      text: 'Superposition: no replication has a relevance map yet.',
    };
  }
  const aggregators = [...new Set(seeds.flatMap((s) => s.superposition!.maps.map((m) => m.aggregator)))];
  const claims: boolean[] = [];
  // With fewer than 3 replications a pooled value is a note, never a finding or a null result.
  let replicated = true;
  const parts = aggregators.map((aggregator) => {
    const maps = seeds.map((s) => ({
      sup: s.superposition!,
      map: s.superposition!.maps.find((m) => m.aggregator === aggregator),
    }));
    const present = maps.filter((m) => m.map !== undefined);
    // The tensor the map concentrates on: the largest mean share over the replications.
    const mean = new Map<string, number>();
    for (const { map } of present)
      for (const c of map!.concentration)
        mean.set(c.tensor, (mean.get(c.tensor) ?? 0) + c.share / present.length);
    const tensor = [...mean].sort((a, b) => b[1] - a[1])[0]?.[0];
    if (tensor === undefined) return `${aggregator}: empty`;
    const at = (list: readonly { tensor: string; share: number; sizeShare: number }[] | undefined) =>
      list?.find((c) => c.tensor === tensor);
    const overSize = overReplications(
      present.map(
        ({ map }) => (at(map!.concentration)?.share ?? 0) - (at(map!.concentration)?.sizeShare ?? 0),
      ),
      input.spec,
    );
    const withNull = present.filter(({ sup }) => sup.nullMap !== null);
    const overNull =
      withNull.length === present.length
        ? overReplications(
            withNull.map(
              ({ sup, map }) =>
                (at(map!.concentration)?.share ?? 0) - (at(sup.nullMap!.concentration)?.share ?? 0),
            ),
            input.spec,
          )
        : null;
    const finding = overSize.replicated && overSize.low > 0 && overNull !== null && overNull.low > 0;
    claims.push(finding);
    replicated &&= overSize.replicated;
    return (
      `${aggregator} concentrates on ${tensor}: share − parameter share ${ci(overSize, true)}` +
      (overNull === null
        ? ', null-drift map not made (no null control)'
        : `, share − null-drift map's share ${ci(overNull, true)}`) +
      ` (${pooling(overSize)}) — ${
        !overSize.replicated
          ? 'not replicated, no claim'
          : finding
            ? 'beats both'
            : overNull !== null && overNull.low > 0
              ? 'beats the null drift only'
              : overNull === null
                ? 'no null drift to beat'
                : overNull.high < 0
                  ? 'does not beat the null drift (its share is below the null-drift map’s)'
                  : 'does not beat the null drift (interval touches or includes 0)'
      }`
    );
  });
  return {
    question: 'superposition',
    kind: replicated ? overall(claims) : 'note',
    text: `Superposition (does the sum of the RB deltas mark where the objectives live, beyond where training moves weights at all?): per aggregator, the tensor it concentrates on, its excess share over that tensor's parameter share and over the null-drift map's share, pooled across replications. ${parts.join('. ')}.`,
  };
}

function localizationParagraph(input: VerdictInput): ReportVerdict {
  const pooled = input.pooledLocalization ?? null;
  const k = pooled === null ? null : headlineK(pooled);
  if (pooled !== null && k === null && pooled.excluded.length > 0) {
    return {
      question: 'localization',
      kind: pooled.fullGain.replicated ? 'null-result' : 'note',
      text: `Localization: no fraction of the full fine-tune's gain can be computed — in seed${pooled.excluded.length > 1 ? 's' : ''} ${pooled.excluded.join(', ')} the full fine-tune on ${pooled.rbNew} did not raise the mean return over MA (gain ${ci(pooled.fullGain)}, ${pooling(pooled.fullGain)}); give the localization fine-tunes more steps.`,
    };
  }
  if (pooled === null || k === null || input.spec.localization === null) {
    return {
      question: 'localization',
      kind: 'not-run',
      text: 'Localization: not run (spec.localization is not set or no replication has its full fine-tune and top-k mask evaluated).',
    };
  }
  const text = pooledLocalizationText(pooled, k, input.spec.confidence);
  return {
    question: 'localization',
    kind: text.verdict.finding ? 'finding' : text.verdict.replicated ? 'null-result' : 'note',
    text:
      `Localization (does the ${pooled.aggregator} map's top-${k} % of the movable parameters carry ${pooled.rbNew} better than random masks and the baselines of "where learning happens"?): ` +
      text.text,
  };
}

/** Per aggregator, in how many checked replications it sees the planted block and down to which SNRs. */
function detectionSummary(spikes: readonly SpikeInData[]): string {
  const names = [...new Set(spikes.flatMap((s) => s.aggregators.map((a) => a.aggregator)))];
  return names
    .map((name) => {
      const snrs = spikes.map((s) => s.aggregators.find((a) => a.aggregator === name)?.detectionSnr ?? null);
      const seen = snrs.filter((x): x is number => x !== null);
      if (seen.length === 0) return `${name} never detects it`;
      const low = Math.min(...seen);
      const high = Math.max(...seen);
      const range = low === high ? formatNumber(low, 2) : `${formatNumber(low, 2)}–${formatNumber(high, 2)}`;
      return `${name} detects it in ${seen.length}/${spikes.length} (down to SNR ${range})`;
    })
    .join(', ');
}

/**
 * Known answer, over replications: the latest spike-in calibration and observation ground truth of
 * each replication. A check run on fewer than 3 replications is "not replicated" (a note, never a
 * finding); otherwise a finding only when every checked replication passes.
 */
function knownAnswerParagraph(input: VerdictInput): ReportVerdict {
  const spikes = input.seeds.flatMap((s) => (s.spikeIn === null ? [] : [s.spikeIn]));
  const truths = input.seeds.flatMap((s) => (s.groundTruth === null ? [] : [s.groundTruth]));
  const checked = input.seeds.filter((s) => s.spikeIn !== null || s.groundTruth !== null).length;
  if (checked === 0) {
    return {
      question: 'known-answer',
      kind: 'not-run',
      text: 'Known answer: not run — neither the spike-in calibration nor the observation ground truth is stored for this experiment (run them with "Run the known-answer checks" in the report view, or `deltascope report <id> --known-answer`). A masked known-answer variant only tests plumbing.',
    };
  }
  const parts: string[] = [];
  if (spikes.length > 0) {
    const first = spikes[0]!;
    const passed = spikes.filter((s) => s.pass).length;
    parts.push(
      `spike-in (block of ${first.k} in ${first.block.tensor}, chance precision ${formatNumber(first.chance, 3)}) passed in ${passed}/${spikes.length}: ` +
        detectionSummary(spikes),
    );
  } else parts.push('spike-in: not run');
  if (truths.length > 0) {
    const passed = truths.filter((t) => t.pass).length;
    const failedWhy = truths.find((t) => !t.pass)?.verdict;
    parts.push(
      `observation ground truth passed in ${passed}/${truths.length}` +
        (failedWhy === undefined ? '' : ` (a failing replication: ${failedWhy})`),
    );
  } else parts.push('observation ground truth: not run');
  const passes = [...spikes.map((s) => s.pass), ...truths.map((t) => t.pass)];
  const replicated = checked >= 3;
  const kind = replicated ? overall(passes) : 'note';
  const scope = `${checked} of ${input.spec.seeds} replication${input.spec.seeds === 1 ? '' : 's'} checked`;
  const failures = [
    ...(spikes.some((x) => !x.pass)
      ? [`the spike-in failed in ${spikes.filter((x) => !x.pass).length}/${spikes.length}`]
      : []),
    ...(truths.some((t) => !t.pass)
      ? [`the observation ground truth failed in ${truths.filter((t) => !t.pass).length}/${truths.length}`]
      : []),
  ];
  const tail = !replicated
    ? 'Not replicated: run the checks on at least 3 replications.'
    : failures.length === 0
      ? 'Passed in every checked replication.'
      : `Not passed: ${failures.join(' and ')} replications.`;
  return {
    question: 'known-answer',
    kind,
    text: `Known answer (can the pipeline find a planted or perceptual signal it should find?), ${scope}: ${parts.join('; ')}. ${tail}`,
  };
}

/** The four verdict paragraphs, in the order the report opens with. */
export function reportVerdicts(input: VerdictInput): ReportVerdict[] {
  return [
    negationParagraph(input),
    superpositionParagraph(input),
    localizationParagraph(input),
    knownAnswerParagraph(input),
  ];
}
