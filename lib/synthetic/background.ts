// Aerial backgrounds in the spirit of TTPLA: fields, forest, sky with horizon, bare ground with roads.
// Returned as SVG markup; they never appear in the mask (class 0), so only the picture needs them.
import { pointsAttribute, round2, type Point } from './geometry';
import type { Random } from './random';

export type BackgroundKind = 'field' | 'forest' | 'sky' | 'ground';
export const BACKGROUND_KINDS: readonly BackgroundKind[] = ['field', 'forest', 'sky', 'ground'];

function hsl(h: number, s: number, l: number): string {
  return `hsl(${round2(h)},${round2(s)}%,${round2(l)}%)`;
}

function rect(size: number, fill: string): string {
  return `<rect x="0" y="0" width="${size}" height="${size}" fill="${fill}"/>`;
}

function gradient(id: string, angle: number, stops: [string, number][]): string {
  const x = Math.cos(angle) * 50;
  const y = Math.sin(angle) * 50;
  const stopTags = stops.map(([color, at]) => `<stop offset="${round2(at)}" stop-color="${color}"/>`).join('');
  return `<linearGradient id="${id}" x1="${round2(50 - x)}%" y1="${round2(50 - y)}%" x2="${round2(50 + x)}%" y2="${round2(50 + y)}%">${stopTags}</linearGradient>`;
}

function blobs(rng: Random, size: number, count: number, hue: [number, number], light: [number, number], radius: [number, number], region?: [number, number]): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = rng.range(radius[0], radius[1]);
    const cx = rng.range(-r, size + r);
    const cy = region ? rng.range(region[0], region[1]) : rng.range(-r, size + r);
    const fill = hsl(rng.range(hue[0], hue[1]), rng.range(25, 55), rng.range(light[0], light[1]));
    parts.push(`<ellipse cx="${round2(cx)}" cy="${round2(cy)}" rx="${round2(r)}" ry="${round2(r * rng.range(0.7, 1.1))}" fill="${fill}" opacity="${round2(rng.range(0.6, 1))}"/>`);
  }
  return parts.join('');
}

/** Parallel strips of crops at a random angle. */
function fields(rng: Random, size: number): string {
  const angle = rng.range(0, Math.PI);
  const dir: Point = [Math.cos(angle), Math.sin(angle)];
  const normal: Point = [-dir[1], dir[0]];
  const c = size / 2;
  const parts: string[] = [];
  let offset = -size;
  while (offset < size) {
    const width = rng.range(size * 0.12, size * 0.5);
    const corner = (along: number, across: number): Point => [
      c + dir[0] * along + normal[0] * across,
      c + dir[1] * along + normal[1] * across,
    ];
    const fill = rng.chance(0.6)
      ? hsl(rng.range(60, 120), rng.range(25, 55), rng.range(28, 50))
      : hsl(rng.range(28, 50), rng.range(25, 55), rng.range(35, 65));
    parts.push(`<polygon points="${pointsAttribute([corner(-size, offset), corner(size, offset), corner(size, offset + width), corner(-size, offset + width)])}" fill="${fill}"/>`);
    // Crop rows: faint stripes along the field.
    const rows = Math.floor(width / rng.range(3, 7));
    for (let r = 0; r < rows && rng.chance(0.7); r++) {
      const across = offset + (width * r) / rows;
      parts.push(`<polyline points="${pointsAttribute([corner(-size, across), corner(size, across)])}" stroke="${hsl(rng.range(40, 100), 30, rng.range(20, 60))}" stroke-width="${round2(rng.range(0.6, 1.6))}" opacity="${round2(rng.range(0.1, 0.3))}" fill="none"/>`);
    }
    offset += width;
  }
  return parts.join('');
}

function roads(rng: Random, size: number, count: number): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const a: Point = [rng.range(-size * 0.2, size * 1.2), -10];
    const b: Point = [rng.range(-size * 0.2, size * 1.2), size + 10];
    const mid: Point = [(a[0] + b[0]) / 2 + rng.range(-size * 0.3, size * 0.3), size / 2];
    const ends = rng.chance(0.5) ? [a, b] : [[a[1], a[0]] as Point, [b[1], b[0]] as Point];
    const color = hsl(rng.range(25, 45), rng.range(5, 25), rng.range(55, 80));
    parts.push(`<path d="M${round2(ends[0]![0])},${round2(ends[0]![1])} Q${round2(mid[0])},${round2(mid[1])} ${round2(ends[1]![0])},${round2(ends[1]![1])}" stroke="${color}" stroke-width="${round2(rng.range(4, 12))}" fill="none"/>`);
  }
  return parts.join('');
}

/** SVG defs + shapes for a background of the given kind. */
export function buildBackground(rng: Random, size: number, kind: BackgroundKind): string {
  switch (kind) {
    case 'field':
      return fields(rng, size)
        + (rng.chance(0.6) ? roads(rng, size, rng.int(1, 2)) : '')
        + blobs(rng, size, rng.int(5, 40), [80, 140], [12, 28], [size * 0.02, size * 0.06]);
    case 'forest':
      return rect(size, hsl(rng.range(90, 140), 40, rng.range(12, 22)))
        + blobs(rng, size, rng.int(120, 260), [70, 150], [10, 38], [size * 0.02, size * 0.07])
        + (rng.chance(0.3) ? roads(rng, size, 1) : '');
    case 'sky': {
      const horizon = rng.range(0.45, 1.1) * size;
      const skyTop = hsl(rng.range(195, 215), rng.range(20, 70), rng.range(45, 70));
      const skyLow = hsl(rng.range(190, 210), rng.range(10, 40), rng.range(75, 92));
      const clouds = blobs(rng, size, rng.int(0, 25), [200, 220], [85, 97], [size * 0.05, size * 0.2], [0, horizon]);
      const ground = horizon < size
        ? `<polygon points="${pointsAttribute([[0, horizon + rng.range(-10, 10)], [size, horizon + rng.range(-10, 10)], [size, size], [0, size]])}" fill="${hsl(rng.range(60, 130), 30, rng.range(20, 40))}"/>`
          + blobs(rng, size, rng.int(5, 30), [70, 140], [12, 30], [size * 0.01, size * 0.03], [horizon, size])
        : '';
      return `<defs>${gradient('sky', Math.PI / 2 + rng.range(-0.3, 0.3), [[skyTop, 0], [skyLow, 1]])}</defs>`
        + `<rect x="0" y="0" width="${size}" height="${size}" fill="url(#sky)"/>` + clouds + ground;
    }
    case 'ground':
      return rect(size, hsl(rng.range(20, 45), rng.range(10, 35), rng.range(35, 65)))
        + blobs(rng, size, rng.int(10, 40), [20, 60], [25, 70], [size * 0.03, size * 0.15])
        + roads(rng, size, rng.int(0, 3))
        + blobs(rng, size, rng.int(0, 20), [80, 140], [12, 28], [size * 0.02, size * 0.05]);
  }
}
