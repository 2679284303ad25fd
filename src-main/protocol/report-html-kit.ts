import { formatInterval } from './statements';
import { renderChartSvg, withAxisTitles, type AxisTitles, type ChartSize } from './report-charts';

/**
 * The HTML report's building blocks: escaping, tables, intervals and titled chart figures (the app's
 * ECharts options rendered to SVG by report-charts.ts), and the report's one stylesheet.
 */

export type Interval = { estimate: number; low: number; high: number };

export const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;color:#111827;max-width:1080px;margin:24px auto;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0;font-size:12.5px}th,td{border:1px solid #e5e7eb;padding:3px 7px;text-align:right}
th{background:#f3f4f6}td:first-child,th:first-child{text-align:left}
.finding{color:#065f46}.null-result{color:#92400e}.note{color:#374151}.not-run{color:#6b7280}
.verdict{margin:8px 0}.verdict strong{text-transform:capitalize}
ul.st li{margin:3px 0}.muted{color:#6b7280}
figure.chart{margin:14px 0}figure.chart figcaption{font-weight:600;font-size:13px;margin-bottom:4px}
figure.chart svg{display:block;max-width:100%;height:auto}h4{font-size:14px;margin:18px 0 4px}.charts{display:flex;gap:24px;flex-wrap:wrap}
pre{background:#f9fafb;border:1px solid #e5e7eb;padding:8px;font-size:12px;overflow:auto}
`;

/** Text escaped for HTML content and attribute values. */
export function e(text: string | number): string {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const WIDE: ChartSize = { width: 1000, height: 300 };

/** A titled figure: the chart drawn from the app's option, with axis titles where it has none. */
export function figure(
  title: string,
  option: Parameters<typeof withAxisTitles>[0],
  axes: AxisTitles = {},
  size = WIDE,
): string {
  const svg = renderChartSvg(withAxisTitles(option, axes), size).replace(
    /^<svg /,
    `<svg role="img" aria-label="${e(title)}" `,
  );
  return `<figure class="chart"><figcaption>${e(title)}</figcaption>${svg}</figure>`;
}

export function ci(x: Interval | null | undefined, percent = false, signed = false): string {
  return x == null ? '–' : e(formatInterval(x, { percent, signed }));
}

export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return (
    `<table><thead><tr>${head.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('') +
    `</tbody></table>`
  );
}
