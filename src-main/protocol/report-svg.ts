/**
 * Hand-written inline SVG charts for the self-contained HTML report: line charts with optional
 * interval bands, grouped bar charts and annotated matrices. Pure string building, no DOM and no
 * chart library, so the report needs nothing but a browser to open (and the main-side bundle stays
 * small). Lines and bars are `<path>` elements.
 */

export const PALETTE = [
  '#2563eb',
  '#dc2626',
  '#16a34a',
  '#9333ea',
  '#ea580c',
  '#0891b2',
  '#ca8a04',
  '#db2777',
];

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export interface LineSeries {
  name: string;
  xs: readonly number[];
  ys: readonly number[];
  /** Interval bounds per point (drawn as a translucent band). */
  lows?: readonly number[];
  highs?: readonly number[];
  dashed?: boolean;
  color?: string;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** Horizontal reference lines, e.g. a control's level. */
  references?: { y: number; label: string }[];
  /** Bounds the y axis; values and bands beyond it are drawn at the edge (wide intervals stay readable). */
  yClamp?: [number, number];
}

const MARGIN = { left: 56, right: 16, top: 28, bottom: 44 };

/** ~5 round tick values covering [lo, hi]: step = 10^⌊log10(span/5)⌋ × {1, 2, 5}. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
    ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function tickLabel(x: number): string {
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return x.toExponential(1);
  return String(Number(x.toPrecision(4)));
}

function extent(values: readonly number[]): [number, number] {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (lo === hi) {
    lo -= Math.abs(lo) * 0.1 || 0.5;
    hi += Math.abs(hi) * 0.1 || 0.5;
  }
  return [lo, hi];
}

function frame(
  width: number,
  height: number,
  title: string,
  xLabel: string,
  yLabel: string,
  body: string,
): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(title)}">` +
    `<text x="${width / 2}" y="16" text-anchor="middle" class="t">${escapeXml(title)}</text>` +
    body +
    `<text x="${MARGIN.left + (width - MARGIN.left - MARGIN.right) / 2}" y="${height - 6}" text-anchor="middle" class="l">${escapeXml(xLabel)}</text>` +
    `<text transform="translate(12 ${MARGIN.top + (height - MARGIN.top - MARGIN.bottom) / 2}) rotate(-90)" text-anchor="middle" class="l">${escapeXml(yLabel)}</text>` +
    `</svg>`
  );
}

function f(x: number): string {
  return x.toFixed(1);
}

/** A line chart: one path per series (NaN points break the line), bands for intervals, a legend. */
export function lineChartSvg(series: readonly LineSeries[], options: LineChartOptions): string {
  const width = options.width ?? 760;
  const height = options.height ?? 300;
  const xs = series.flatMap((s) => s.xs);
  const ys = [
    ...series.flatMap((s) => [...s.ys, ...(s.lows ?? []), ...(s.highs ?? [])]),
    ...(options.references ?? []).map((r) => r.y),
  ];
  const [x0, x1] = extent(xs);
  const clamp = options.yClamp;
  const [y0, y1] = extent(
    clamp === undefined ? ys : ys.map((y) => Math.min(clamp[1], Math.max(clamp[0], y))),
  );
  const legendW = Math.min(260, 24 + 6 * Math.max(0, ...series.map((s) => s.name.length)));
  const plotW = width - MARGIN.left - MARGIN.right - legendW;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const sx = (x: number): number => MARGIN.left + ((x - x0) / (x1 - x0)) * plotW;
  const sy = (y: number): number =>
    MARGIN.top + (1 - (Math.min(y1, Math.max(y0, y)) - y0) / (y1 - y0)) * plotH;
  const parts: string[] = [];
  for (const t of niceTicks(y0, y1)) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${f(sy(t))}" y2="${f(sy(t))}" class="g"/>` +
        `<text x="${MARGIN.left - 4}" y="${f(sy(t) + 3)}" text-anchor="end" class="k">${tickLabel(t)}</text>`,
    );
  }
  for (const t of niceTicks(x0, x1)) {
    parts.push(
      `<text x="${f(sx(t))}" y="${MARGIN.top + plotH + 14}" text-anchor="middle" class="k">${tickLabel(t)}</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" class="a"/>`,
  );
  for (const ref of options.references ?? []) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${f(sy(ref.y))}" y2="${f(sy(ref.y))}" stroke="#6b7280" stroke-dasharray="2 3"/>` +
        `<text x="${MARGIN.left + plotW - 4}" y="${f(sy(ref.y) - 3)}" text-anchor="end" class="k">${escapeXml(ref.label)}</text>`,
    );
  }
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    if (s.lows !== undefined && s.highs !== undefined && s.xs.length > 1) {
      const top = s.xs.map((x, j) => `${f(sx(x))} ${f(sy(s.highs![j]!))}`);
      const bottom = s.xs.map((x, j) => `${f(sx(x))} ${f(sy(s.lows![j]!))}`).reverse();
      parts.push(
        `<path d="M${top.join('L')}L${bottom.join('L')}Z" fill="${color}" fill-opacity="0.15" stroke="none"/>`,
      );
    }
    let d = '';
    let pen = false;
    s.xs.forEach((x, j) => {
      const y = s.ys[j]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${f(sx(x))} ${f(sy(y))}`;
      pen = true;
    });
    if (d !== '') {
      parts.push(
        `<path d="${d}" fill="none" stroke="${color}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
      );
      if (s.xs.length <= 24) {
        s.xs.forEach((x, j) => {
          const y = s.ys[j]!;
          if (Number.isFinite(x) && Number.isFinite(y))
            parts.push(`<circle cx="${f(sx(x))}" cy="${f(sy(y))}" r="2.5" fill="${color}"/>`);
        });
      }
    }
    const lx = MARGIN.left + plotW + 12;
    parts.push(
      `<rect x="${lx}" y="${MARGIN.top + 6 + i * 14}" width="10" height="3" fill="${color}"/>` +
        `<text x="${lx + 14}" y="${MARGIN.top + 10 + i * 14}" class="k">${escapeXml(s.name)}</text>`,
    );
  });
  return frame(width, height, options.title, options.xLabel, options.yLabel, parts.join(''));
}

export interface BarGroup {
  label: string;
  values: readonly number[];
}

/** Grouped vertical bars (one colour per series), bars as paths; values ≥ 0. */
export function barChartSvg(
  groups: readonly BarGroup[],
  seriesNames: readonly string[],
  options: { title: string; yLabel: string; xLabel?: string; width?: number; height?: number },
): string {
  const width = options.width ?? Math.max(480, 60 + groups.length * (seriesNames.length * 10 + 24));
  const height = options.height ?? 300;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom - 40;
  const max = Math.max(1e-12, ...groups.flatMap((g) => g.values.filter((v) => Number.isFinite(v))));
  const sy = (y: number): number => MARGIN.top + (1 - y / max) * plotH;
  const groupW = plotW / Math.max(1, groups.length);
  const barW = Math.max(2, (groupW - 8) / Math.max(1, seriesNames.length));
  const parts: string[] = [];
  for (const t of niceTicks(0, max)) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${f(sy(t))}" y2="${f(sy(t))}" class="g"/>` +
        `<text x="${MARGIN.left - 4}" y="${f(sy(t) + 3)}" text-anchor="end" class="k">${tickLabel(t)}</text>`,
    );
  }
  groups.forEach((group, g) => {
    const gx = MARGIN.left + g * groupW + 4;
    group.values.forEach((v, i) => {
      if (!Number.isFinite(v) || v <= 0) return;
      const x = gx + i * barW;
      const y = sy(v);
      const h = MARGIN.top + plotH - y;
      parts.push(
        `<path d="M${f(x)} ${f(y)}h${f(barW - 1)}v${f(h)}h${f(-(barW - 1))}Z" fill="${PALETTE[i % PALETTE.length]}"><title>${escapeXml(`${group.label} · ${seriesNames[i] ?? ''}: ${tickLabel(v)}`)}</title></path>`,
      );
    });
    const cx = gx + (groupW - 8) / 2;
    const baseY = MARGIN.top + plotH + 10;
    parts.push(
      `<text transform="translate(${f(cx)} ${baseY}) rotate(30)" class="k">${escapeXml(group.label)}</text>`,
    );
  });
  parts.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}" class="a"/>`,
  );
  seriesNames.forEach((name, i) => {
    parts.push(
      `<rect x="${MARGIN.left + plotW - 150}" y="${MARGIN.top + i * 14}" width="10" height="8" fill="${PALETTE[i % PALETTE.length]}"/>` +
        `<text x="${MARGIN.left + plotW - 136}" y="${MARGIN.top + 8 + i * 14}" class="k">${escapeXml(name)}</text>`,
    );
  });
  return frame(width, height, options.title, options.xLabel ?? '', options.yLabel, parts.join(''));
}

/** A square matrix as coloured cells with the value printed; colour by |v| over [0, vmax]. */
export function matrixSvg(
  names: readonly string[],
  matrix: readonly (readonly (number | null)[])[],
  options: { title: string; vmax?: number; signed?: boolean },
): string {
  const cell = 56;
  const left = 80;
  const top = 40;
  const n = names.length;
  const width = left + n * cell + 16;
  const height = top + n * cell + 16;
  const vmax = options.vmax ?? 1;
  const parts: string[] = [];
  names.forEach((name, i) => {
    parts.push(
      `<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end" class="k">${escapeXml(name)}</text>` +
        `<text x="${left + i * cell + cell / 2}" y="${top - 6}" text-anchor="middle" class="k">${escapeXml(name)}</text>`,
    );
  });
  matrix.forEach((row, i) =>
    row.forEach((v, j) => {
      const x = left + j * cell;
      const y = top + i * cell;
      const t = v === null ? 0 : Math.min(1, Math.abs(v) / vmax);
      const color =
        v === null ? '#e5e7eb' : options.signed && v < 0 ? `rgba(220,38,38,${t})` : `rgba(37,99,235,${t})`;
      parts.push(
        `<path d="M${x} ${y}h${cell - 2}v${cell - 2}h${-(cell - 2)}Z" fill="${color}"/>` +
          `<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" class="v">${v === null ? '–' : v.toFixed(2)}</text>`,
      );
    }),
  );
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(options.title)}">` +
    `<text x="${width / 2}" y="14" text-anchor="middle" class="t">${escapeXml(options.title)}</text>` +
    parts.join('') +
    `</svg>`
  );
}
