import { inflateSync } from 'node:zlib';

/** An 8-bit RGBA image: `data[(y · width + x) · 4 + c]`. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Samples per pixel for the PNG colour types we read (grey, RGB, grey+alpha, RGBA). */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/** Paeth predictor: the neighbour (a left, b up, c up-left) closest to a + b − c. */
function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

/** Decodes a non-interlaced 8-bit PNG (as Chromium writes screenshots) into RGBA. */
export function decodePng(png: Uint8Array): RgbaImage {
  const bytes = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new Error(`decodePng: input of ${bytes.length} bytes does not start with the PNG signature`);
  }
  let offset = 8;
  let width = 0;
  let height = 0;
  let colorType = -1;
  const idat: Buffer[] = [];
  while (offset + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const bitDepth = body[8];
      colorType = body[9] ?? -1;
      const interlace = body[12];
      if (bitDepth !== 8 || CHANNELS[colorType] === undefined || interlace !== 0) {
        throw new Error(
          `decodePng: only 8-bit, non-interlaced grey/RGB/RGBA PNGs are supported (bit depth ${bitDepth}, colour type ${colorType}, interlace ${interlace})`,
        );
      }
    } else if (type === 'IDAT') {
      idat.push(body);
    } else if (type === 'IEND') {
      break;
    }
    offset += 12 + length;
  }
  const channels = CHANNELS[colorType];
  if (channels === undefined || width === 0 || height === 0)
    throw new Error('decodePng: no IHDR chunk found');
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.length < height * (stride + 1)) {
    throw new Error(`decodePng: image data has ${raw.length} bytes, expected ${height * (stride + 1)}`);
  }
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y += 1) {
    const filter = raw[y * (stride + 1)];
    const source = y * (stride + 1) + 1;
    const row = y * stride;
    for (let x = 0; x < stride; x += 1) {
      const value = raw[source + x] as number;
      const left = x >= channels ? (pixels[row + x - channels] as number) : 0;
      const up = y > 0 ? (pixels[row - stride + x] as number) : 0;
      const upLeft = y > 0 && x >= channels ? (pixels[row - stride + x - channels] as number) : 0;
      let predicted: number;
      switch (filter) {
        case 0:
          predicted = 0;
          break;
        case 1:
          predicted = left;
          break;
        case 2:
          predicted = up;
          break;
        case 3:
          predicted = (left + up) >> 1;
          break;
        case 4:
          predicted = paeth(left, up, upLeft);
          break;
        default:
          throw new Error(`decodePng: row ${y} has unknown filter type ${filter}`);
      }
      pixels[row + x] = (value + predicted) & 0xff;
    }
  }
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i += 1) {
    const s = i * channels;
    const grey = channels <= 2;
    data[i * 4] = pixels[s] as number;
    data[i * 4 + 1] = pixels[grey ? s : s + 1] as number;
    data[i * 4 + 2] = pixels[grey ? s : s + 2] as number;
    data[i * 4 + 3] =
      channels === 4 ? (pixels[s + 3] as number) : channels === 2 ? (pixels[s + 1] as number) : 255;
  }
  return { width, height, data };
}

/** The pixels of `image` from row `top` (inclusive) to row `bottom` (exclusive). */
export function cropRows(image: RgbaImage, top: number, bottom = image.height): RgbaImage {
  if (!(
    Number.isInteger(top) &&
    Number.isInteger(bottom) &&
    top >= 0 &&
    top < bottom &&
    bottom <= image.height
  )) {
    throw new Error(`cropRows: rows [${top}, ${bottom}) do not fit an image of height ${image.height}`);
  }
  return {
    width: image.width,
    height: bottom - top,
    data: image.data.subarray(top * image.width * 4, bottom * image.width * 4),
  };
}

/** "#4e79a7" → [78, 121, 167]. */
export function parseHexColor(hex: string): [number, number, number] {
  const match = /^#([0-9a-f]{6})$/i.exec(hex);
  if (match === null) throw new Error(`parseHexColor: expected #rrggbb, got "${hex}"`);
  const n = Number.parseInt(match[1] as string, 16);
  return [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

export interface ColorCoverage {
  /** Pixels whose every channel is within `tolerance` of the colour. */
  pixels: number;
  /** Distinct x columns holding at least one such pixel. */
  columns: number;
  /** Smallest and largest such x, or -1 when none. */
  minX: number;
  maxX: number;
}

/** Where a colour appears in an image: max_c |pixel_c − colour_c| ≤ tolerance. */
export function colorCoverage(image: RgbaImage, hex: string, tolerance: number): ColorCoverage {
  const [r, g, b] = parseHexColor(hex);
  const columns = new Set<number>();
  let pixels = 0;
  for (let i = 0; i < image.width * image.height; i += 1) {
    const o = i * 4;
    const close =
      Math.abs((image.data[o] as number) - r) <= tolerance &&
      Math.abs((image.data[o + 1] as number) - g) <= tolerance &&
      Math.abs((image.data[o + 2] as number) - b) <= tolerance;
    if (!close) continue;
    pixels += 1;
    columns.add(i % image.width);
  }
  const xs = [...columns];
  return {
    pixels,
    columns: columns.size,
    minX: xs.length === 0 ? -1 : Math.min(...xs),
    maxX: xs.length === 0 ? -1 : Math.max(...xs),
  };
}

export type Rgb = [number, number, number];

/** The colour of the pixel at (x, y), rounded to whole pixels. */
export function pixel(image: RgbaImage, x: number, y: number): Rgb {
  const o = (Math.round(y) * image.width + Math.round(x)) * 4;
  return [image.data[o] as number, image.data[o + 1] as number, image.data[o + 2] as number];
}

/** Pixels of an element's own border, left out of the search for a heatmap's matrix. */
const FRAME_PX = 3;

/** The bounding box of the pixels that differ from the canvas background (the matrix and its outline). */
export function matrixBox(image: RgbaImage): { x0: number; y0: number; x1: number; y1: number } {
  const background = pixel(image, FRAME_PX, FRAME_PX);
  let [x0, y0, x1, y1] = [image.width, image.height, -1, -1];
  for (let y = FRAME_PX; y < image.height - FRAME_PX; y++) {
    for (let x = FRAME_PX; x < image.width - FRAME_PX; x++) {
      const [r, g, b] = pixel(image, x, y);
      if (Math.abs(r - background[0]) + Math.abs(g - background[1]) + Math.abs(b - background[2]) <= 6)
        continue;
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
  }
  return { x0, y0, x1, y1 };
}

/** The diverging heatmap's colours: red for Δ > 0, blue for Δ < 0, near-white for 0. */
export const isReddish = ([r, g, b]: Rgb): boolean => r > g + 50 && r > b + 30;
export const isBluish = ([r, g, b]: Rgb): boolean => b > r + 40 && b > g;
export const isNeutral = ([r, g, b]: Rgb): boolean =>
  Math.min(r, g, b) > 225 && Math.max(r, g, b) - Math.min(r, g, b) < 12;
