import type { RulerBand, RulerTick } from './ruler-ticks';

export interface RulerStyle {
  font: string;
  textColor: string;
  tickColor: string;
  bandColors: readonly [string, string];
}

export const DEFAULT_RULER_STYLE: RulerStyle = {
  font: '10.5px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  textColor: '#4a525c',
  tickColor: '#8a929c',
  bandColors: ['#dfe6ee', '#eef2f6'],
};

/**
 * A ruler along the top ('columns': ticks point down at the heatmap) or the left ('rows': ticks
 * point right). Bands (e.g. one per observation channel) are shaded strips with their name, drawn
 * under the index ticks. `thickness` is the ruler's depth in CSS px.
 */
export function drawRuler(
  ctx: CanvasRenderingContext2D,
  axis: 'rows' | 'columns',
  thickness: number,
  ticks: readonly RulerTick[],
  bands: readonly RulerBand[] = [],
  style: RulerStyle = DEFAULT_RULER_STYLE,
): void {
  ctx.save();
  ctx.font = style.font;
  const bandDepth = bands.length > 0 ? Math.min(16, thickness / 2) : 0;
  bands.forEach((band, k) => {
    ctx.fillStyle = style.bandColors[k % 2] as string;
    const extent = band.end - band.start;
    if (axis === 'columns') ctx.fillRect(band.start, 0, extent, bandDepth);
    else ctx.fillRect(0, band.start, bandDepth, extent);
    ctx.fillStyle = style.textColor;
    if (axis === 'columns') {
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      if (ctx.measureText(band.label).width < extent - 2)
        ctx.fillText(band.label, band.start + extent / 2, bandDepth / 2);
    } else {
      // Rows: the name reads bottom-up along the band.
      if (ctx.measureText(band.label).width < extent - 2) {
        ctx.save();
        ctx.translate(bandDepth / 2, band.start + extent / 2);
        ctx.rotate(-Math.PI / 2);
        ctx.textAlign = 'center';
        ctx.textBaseline = 'middle';
        ctx.fillText(band.label, 0, 0);
        ctx.restore();
      }
    }
  });
  ctx.strokeStyle = style.tickColor;
  ctx.fillStyle = style.textColor;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (const tick of ticks) {
    const p = Math.round(tick.position) + 0.5;
    if (axis === 'columns') {
      ctx.moveTo(p, thickness - 4);
      ctx.lineTo(p, thickness);
    } else {
      ctx.moveTo(thickness - 4, p);
      ctx.lineTo(thickness, p);
    }
  }
  ctx.stroke();
  for (const tick of ticks) {
    const label = String(tick.index);
    if (axis === 'columns') {
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      ctx.fillText(label, tick.position, thickness - 5);
    } else {
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      ctx.fillText(label, thickness - 6, tick.position);
    }
  }
  ctx.restore();
}
