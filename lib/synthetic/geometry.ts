// Plane geometry shared by the scene builder and the SVG writer.

export type Point = [number, number];

export function add(a: Point, b: Point): Point {
  return [a[0] + b[0], a[1] + b[1]];
}

export function scale(a: Point, factor: number): Point {
  return [a[0] * factor, a[1] * factor];
}

export function lerp(a: Point, b: Point, t: number): Point {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
}

export function rotate(p: Point, radians: number): Point {
  const c = Math.cos(radians);
  const s = Math.sin(radians);
  return [p[0] * c - p[1] * s, p[0] * s + p[1] * c];
}

/** Maps tower-local coordinates (origin at the base centre, y down) into the image. */
export function placer(origin: Point, radians: number): (p: Point) => Point {
  return (p) => add(origin, rotate(p, radians));
}

/**
 * A hanging cable between two points: a catenary sag perpendicular to the chord, in the direction `down`.
 * `sag` is the drop at mid-span; `stiffness` shapes the curve (small → parabola-like, large → flatter middle).
 */
export function catenary(a: Point, b: Point, sag: number, down: Point, stiffness: number, steps = 48): Point[] {
  const k = Math.max(0.05, stiffness);
  const ends = Math.cosh(k);
  const points: Point[] = [];
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    // cosh(k(2t-1)) is `ends` at both ends and 1 mid-span; normalised to 0 at the ends and 1 mid-span.
    const drop = (ends - Math.cosh(k * (2 * t - 1))) / (ends - 1);
    points.push(add(lerp(a, b, t), scale(down, sag * drop)));
  }
  return points;
}

export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

export function pointsAttribute(points: Point[]): string {
  return points.map(([x, y]) => `${round2(x)},${round2(y)}`).join(' ');
}
