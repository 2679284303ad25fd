import { describe, expect, it } from 'vitest';
import { buildReportHtml } from '../../../src-main/protocol';
import { measureTextWidth } from '../../../src-main/protocol/report-charts';
import { divergingColor, NEUTRAL_COLOR, rgbToHex, type Rgb } from '../../../src-main/shared/charts/color-map';
import { plantedMap } from './relevance-map-fixture';
import { reportFixture } from './report-fixture';

/** The `<svg>` of the figure whose accessible name starts with `label`. */
function svgNamed(html: string, label: string): string {
  const svg = (html.match(/<svg[\s\S]*?<\/svg>/g) ?? []).find((s) =>
    (/aria-label="([^"]*)"/.exec(s)?.[1] ?? '').startsWith(label),
  );
  if (svg === undefined) throw new Error(`no figure named "${label}"`);
  return svg;
}

/** Cell (x, y) → fill of a grid, read from its per-colour paths of `Mx yhNv1h-Nz` runs. */
function gridCells(svg: string, title: string): Map<string, string> {
  const start = svg.indexOf(`data-title="${title}"`);
  if (start < 0) throw new Error(`no grid "${title}"`);
  const group = svg.slice(start, svg.indexOf('</g>', svg.indexOf('class="cells"', start)));
  const cells = new Map<string, string>();
  for (const [, fill, d] of group.matchAll(/<path fill="(#[0-9a-f]{6})" d="([^"]*)"/g)) {
    for (const [, x, y, n] of d!.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
      for (let i = 0; i < Number(n); i++) cells.set(`${Number(x) + i},${y}`, fill!);
    }
  }
  return cells;
}

function rgbOf(hex: string): Rgb {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as unknown as Rgb;
}

describe('relevance maps in the HTML report', () => {
  const html = buildReportHtml(reportFixture(), [], [plantedMap()]);

  it('draws the first layer in observation space: one grid per input channel, cells coloured by the map', () => {
    expect(html).toContain('<h3>Relevance maps</h3>');
    const svg = svgNamed(html, 'mean map, seed 1: torso.dense1.kernel in observation space');
    const titles = [
      ...svg.matchAll(/class="heatmap-grid" data-title="([^"]*)" data-rows="(\d+)" data-cols="(\d+)"/g),
    ];
    expect(titles.map((t) => [t[1], Number(t[2]), Number(t[3])])).toEqual(
      ['wall', 'agent', 'coin', 'red_gem'].map((c) => [`input channel ${c}`, 5, 5]),
    );
    // Coin at (3, 1): Σ|m| = 4, the limit → the darkest red; every other coin cell is 0 → neutral.
    const coin = gridCells(svg, 'input channel coin');
    expect(coin.size).toBe(25);
    expect(coin.get('3,1')).toBe(rgbToHex(divergingColor(1)));
    for (const [cell, fill] of coin) if (cell !== '3,1') expect(fill, cell).toBe(rgbToHex(NEUTRAL_COLOR));
    // red_gem at (0, 0): Σ|m| = 1 = a quarter of the limit (the lookup table is within one step of the map).
    const gem = rgbOf(gridCells(svg, 'input channel red_gem').get('0,0')!);
    const expected = divergingColor(0.25);
    gem.forEach((c, i) => expect(Math.abs(c - expected[i]!)).toBeLessThanOrEqual(2));
    // Nothing planted in the wall and agent channels.
    expect(new Set(gridCells(svg, 'input channel wall').values())).toEqual(
      new Set([rgbToHex(NEUTRAL_COLOR)]),
    );
    // The agent's cell of the egocentric window (2, 2) is outlined.
    expect(svg).toMatch(/<rect x="[\d.]+" y="[\d.]+" width="\d+" height="\d+" fill="none" stroke="#222"\/>/);
  });

  it('has a colour bar from −limit to +limit and rulers over every grid', () => {
    const svg = svgNamed(html, 'mean map, seed 1: torso.dense1.kernel in observation space');
    expect(svg).toContain('>Σ|m| over 8 units</text>');
    const bar = svg.slice(svg.indexOf('class="color-bar"'));
    expect([...bar.matchAll(/>(-?[\d.]+)<\/text>/g)].map((m) => Number(m[1]))).toEqual([-4, -2, 0, 2, 4]);
    // Each grid has its row (y) and column (x) ruler, 0 … 4, and their titles.
    expect((svg.match(/>cell x<\/text>/g) ?? []).length).toBe(4);
    expect((svg.match(/>cell y<\/text>/g) ?? []).length).toBe(4);
  });

  it('draws the other 2-D tensors as heatmaps on their own scale and names the 1-D ones', () => {
    const svg = svgNamed(html, 'mean map, seed 1: policy.kernel [8 × 4]');
    const cells = gridCells(svg, 'policy.kernel [8 × 4]');
    expect(cells.size).toBe(32);
    // m[7, 0] = 7/8 is the largest |m| → darkest red; m[0, 3] = −3/8 is blue.
    expect(cells.get('0,7')).toBe(rgbToHex(divergingColor(1)));
    const blue = rgbOf(cells.get('3,0')!);
    expect(blue[2]).toBeGreaterThan(blue[0]);
    expect(html).toContain('1-D tensors (torso.dense1.bias)');
  });

  it('keeps every label inside its picture', () => {
    for (const label of ['mean map, seed 1: torso.dense1.kernel', 'mean map, seed 1: policy.kernel']) {
      const svg = svgNamed(html, label);
      const width = Number(/width="(\d+(?:\.\d+)?)"/.exec(svg)![1]);
      const height = Number(/height="(\d+(?:\.\d+)?)"/.exec(svg)![1]);
      for (const [, attrs, text] of svg.matchAll(/<text ([^>]*)>([^<]*)<\/text>/g)) {
        if (attrs!.includes('transform')) continue;
        const x = Number(/x="([-\d.]+)"/.exec(attrs!)![1]);
        const y = Number(/y="([-\d.]+)"/.exec(attrs!)![1]);
        const size = Number(/font-size="([\d.]+)"/.exec(attrs!)![1]);
        const w = measureTextWidth(text!.replace(/&amp;/g, '&'), `${size}px sans-serif`);
        const left = attrs!.includes('text-anchor="end"') ? x - w : attrs!.includes('middle') ? x - w / 2 : x;
        expect(left, text).toBeGreaterThanOrEqual(0);
        expect(left + w, text).toBeLessThanOrEqual(width);
        expect(y - size, text).toBeGreaterThanOrEqual(0);
        expect(y, text).toBeLessThanOrEqual(height);
      }
    }
  });

  it('leaves the section out without maps', () => {
    expect(buildReportHtml(reportFixture(), [])).not.toContain('Relevance maps');
  });
});
