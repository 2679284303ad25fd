import type { ReportSeed } from '../shared';
import { detectionCurveSeries } from '../shared/charts/detection-curve';
import { buildIntervalLinesOptions } from '../shared/charts/interval-lines-options';
import { e, figure, table } from './report-html-kit';
import { formatNumber } from './statements';

/**
 * The known-answer checks that can fail, over replications (protocol.knownAnswerChecks, stored per
 * replication): the spike-in detection curve (mean precision@k of the planted block per aggregator
 * against the plant's SNR, each replication a dot, the band their range) and one table row per
 * replication with its detection SNRs and the observation ground truth's own-channel shares.
 */
export function knownAnswerChecksSection(seeds: readonly ReportSeed[]): string {
  const checked = seeds.filter((s) => s.spikeIn !== null || s.groundTruth !== null);
  if (checked.length === 0) return '';
  const spikes = checked.flatMap((s) => (s.spikeIn === null ? [] : [s.spikeIn]));
  const first = spikes[0];
  const aggregators = first?.aggregators.map((a) => a.aggregator) ?? [];
  const head =
    first === undefined
      ? ''
      : `<p class="muted">Spike-in: the same sparse vector (±SNR × the null drift's per-parameter SD σ on a block of ${e(first.k)} ` +
        `parameters of <code>${e(first.block.tensor)}</code>) is added to every RB delta of the replication; each aggregator then ranks ` +
        `the parameters and precision@k is the share of its top ${e(first.k)} inside the block (chance ${e(formatNumber(first.chance, 3))}). ` +
        `An aggregator detects the block at precision ≥ ${e(first.passPrecision)}; the check passes when one does at SNR ${e(first.passSnr)} ` +
        `or below and none without a plant (SNR 0); the larger SNRs only show where detection starts. Observation ground truth: per RB, the share of its first-layer |Δ| on the rows that read its own ` +
        `object's channel, against the other objects' channels and the null controls'.</p>`;
  const chart =
    spikes.length === 0
      ? ''
      : figure(
          `Spike-in detection curve over ${spikes.length} replication(s): mean precision@k (band: range over replications; dots: each replication)`,
          buildIntervalLinesOptions({
            series: detectionCurveSeries(spikes),
            xName: 'SNR (× null drift SD)',
            yName: 'precision@k',
            yRange: [0, 1],
          }),
          { x: 'plant SNR (× null drift SD; 0 = nothing planted)', y: 'precision@k of the block' },
        );
  const percent = (x: number | null): string => (x === null ? '–' : `${(100 * x).toFixed(1)} %`);
  const rows = checked.map((s) => {
    const spike = s.spikeIn;
    const truth = s.groundTruth;
    const detect = aggregators.map((name) => {
      const row = spike?.aggregators.find((a) => a.aggregator === name);
      return row === undefined
        ? '–'
        : row.detectionSnr === null
          ? 'never'
          : `${formatNumber(row.detectionSnr, 2)}×`;
    });
    const own = truth?.rbs.filter((r) => r.ownShare !== null) ?? [];
    return [
      e(s.seed),
      spike === null ? 'not run' : spike.pass ? 'pass' : '<strong>fail</strong>',
      ...detect.map(e),
      truth === null ? 'not run' : truth.pass ? 'pass' : '<strong>fail</strong>',
      e(own.map((r) => `${r.rb} ${percent(r.ownShare)} vs ${percent(r.othersShare)}`).join(', ') || '–'),
    ];
  });
  return (
    head +
    chart +
    table(
      [
        'seed',
        'spike-in',
        ...aggregators.map((a) => `${a} detects down to`),
        'ground truth',
        'own channel vs other objects (per RB)',
      ],
      rows,
    )
  );
}
