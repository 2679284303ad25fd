import { buildColorLut, unpackRgb, type ColorLut } from '@shared/charts/color-map';
import { scaleTicks, type ValueScale } from '@shared/heatmap/value-scale';

export interface ColorBarStyle {
  /** Width of the coloured bar in CSS pixels; tick labels go to its right. */
  barWidth: number;
  font: string;
  textColor: string;
  format: (value: number) => string;
}

/** A tick label: 3 significant digits, exponent form outside [0.001, 10⁴), a true minus sign. */
export function formatTick(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  const text = abs >= 1e-3 && abs < 1e4 ? String(Number(value.toPrecision(3))) : value.toExponential(1);
  return text.replace(/^-/, '−');
}

export const DEFAULT_COLOR_BAR_STYLE: ColorBarStyle = {
  barWidth: 14,
  font: '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  textColor: '#444444',
  format: formatTick,
};

/** Vertical bar: +limit at the top, −limit at the bottom, one pixel row per LUT sample. */
export function drawColorBar(
  ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D,
  rect: { x: number; y: number; width: number; height: number },
  scale: ValueScale,
  style: ColorBarStyle = DEFAULT_COLOR_BAR_STYLE,
  lut: ColorLut = buildColorLut(),
): void {
  const { x, y, height } = rect;
  const barWidth = Math.min(style.barWidth, rect.width);
  const rows = Math.max(2, Math.round(height));
  for (let r = 0; r < rows; r += 1) {
    // Row r shows t = 1 − 2r/(rows − 1): the same colours the cells of those values get.
    const t = 1 - (2 * r) / (rows - 1);
    const index = Math.round(((t + 1) / 2) * (lut.packed.length - 1));
    const [red, green, blue] = unpackRgb(lut.packed[index] as number);
    ctx.fillStyle = `rgb(${red},${green},${blue})`;
    ctx.fillRect(x, y + (r * height) / rows, barWidth, height / rows + 0.5);
  }
  ctx.strokeStyle = '#b0b4ba';
  ctx.lineWidth = 1;
  ctx.strokeRect(x + 0.5, y + 0.5, barWidth - 1, height - 1);
  ctx.font = style.font;
  ctx.fillStyle = style.textColor;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  for (const tick of scaleTicks(scale)) {
    const ty = y + ((1 - tick.t) / 2) * (height - 1);
    ctx.fillRect(x + barWidth, ty, 4, 1);
    ctx.fillText(style.format(tick.value), x + barWidth + 6, Math.min(y + height - 6, Math.max(y + 6, ty)));
  }
}
