// One synthetic inspection scene: background, towers, rust on tower members, hanging cables, lighting.
// Picture and mask are both drawn from this one description, so the mask is exact by construction.
import { buildBackground, BACKGROUND_KINDS, type BackgroundKind } from './background';
import { add, catenary, rotate, scale, type Point } from './geometry';
import { Random } from './random';
import { buildRust, buildTower, type RustPatch, type Tower } from './tower';

export interface Cable {
  points: Point[];
  width: number;
  color: string;
}

export interface Lighting {
  /** Overall brightness factor. */
  gain: number;
  /** Brightness change across the image along `angle` (fraction of gain, ±). */
  slope: number;
  angle: number;
  /** Per-channel colour cast factors. */
  tint: [number, number, number];
  /** Standard deviation of the grain, in 8-bit levels. */
  grain: number;
  /** Gaussian blur sigma for focus variety (0 = sharp). */
  blur: number;
}

export interface Scene {
  size: number;
  backgroundKind: BackgroundKind;
  background: string;
  towers: Tower[];
  rust: RustPatch[];
  cables: Cable[];
  /** Soft shadows of towers on the ground (picture only). */
  shadows: { tower: number; offset: Point; opacity: number }[];
  lighting: Lighting;
}

const CABLE_COLORS = ['#1e1e1e', '#2b2b2b', '#3a3a3a', '#4a4d50', '#5c5f62', '#c8c8c8', '#a9adb0'];

function farPoint(from: Point, direction: Point, size: number): Point {
  return add(from, scale(direction, size * 1.6));
}

/** Cables hanging from a tower's attachments to both sides, leaving the image. */
function cablesFromTower(rng: Random, tower: Tower, size: number, down: Point): Cable[] {
  const cables: Cable[] = [];
  const width = rng.range(1.4, 2.6) * Math.max(0.7, Math.min(1.3, tower.height / (size * 0.7)));
  const color = rng.pick(CABLE_COLORS);
  for (const side of [-1, 1]) {
    if (rng.chance(0.1)) continue;
    // Conductors on one side run roughly parallel, away from the tower's axis.
    const heading = rotate([side, 0], tower.angle + rng.range(-0.5, 0.5));
    const sag = size * rng.range(0.05, 0.3);
    const stiffness = rng.range(0.5, 2.5);
    for (const attach of tower.attachments) {
      const end = farPoint(attach, rotate(heading, rng.range(-0.04, 0.04)), size);
      cables.push({ points: catenary(attach, end, sag, down, stiffness), width, color });
    }
  }
  return cables;
}

/** Cables spanning two towers, attachment to matching attachment. */
function cablesBetween(rng: Random, a: Tower, b: Tower, size: number, down: Point): Cable[] {
  const width = rng.range(1.4, 2.4);
  const color = rng.pick(CABLE_COLORS);
  const sag = size * rng.range(0.04, 0.2);
  const count = Math.min(a.attachments.length, b.attachments.length);
  const cables: Cable[] = [];
  for (let i = 0; i < count; i++) {
    cables.push({ points: catenary(a.attachments[i]!, b.attachments[i]!, sag, down, rng.range(0.5, 2)), width, color });
  }
  return cables;
}

/** Parallel conductors crossing the whole picture (no tower in view). */
function crossingCables(rng: Random, size: number, down: Point): Cable[] {
  const angle = rng.range(-0.6, 0.6);
  const along = rotate([1, 0], angle);
  const across = rotate([0, 1], angle);
  const start: Point = add([size / 2, rng.range(0.1, 0.6) * size], scale(along, -size));
  const count = rng.int(2, 6);
  const gap = rng.range(8, 30);
  const width = rng.range(1.4, 2.6);
  const color = rng.pick(CABLE_COLORS);
  const sag = size * rng.range(0.05, 0.35);
  const cables: Cable[] = [];
  for (let i = 0; i < count; i++) {
    const a = add(start, scale(across, i * gap));
    const b = add(a, scale(rotate(along, rng.range(-0.03, 0.03)), size * 2));
    cables.push({ points: catenary(a, b, sag, down, 1), width, color });
  }
  return cables;
}

export function buildScene(seed: number, size: number): Scene {
  const rng = new Random(seed);
  const backgroundKind = rng.pick(BACKGROUND_KINDS);
  const background = buildBackground(rng, size, backgroundKind);
  const roll = rng.range(-0.35, 0.35);
  const down = rotate([0, 1], roll * 0.5);
  const towers: Tower[] = [];
  const cables: Cable[] = [];
  const layout = rng.next();
  if (layout < 0.12) {
    cables.push(...crossingCables(rng, size, down));
  } else {
    const height = size * rng.range(0.4, 1.1);
    const base: Point = [size * rng.range(0.2, 0.8), size * rng.range(0.6, 1.15)];
    towers.push(buildTower(rng, { base, height, angle: roll }));
    if (layout > 0.7) {
      // A second, farther tower along the line: smaller and higher in the picture.
      const side = rng.chance(0.5) ? -1 : 1;
      const h2 = height * rng.range(0.4, 0.7);
      const base2: Point = [base[0] + side * size * rng.range(0.4, 0.7), base[1] - size * rng.range(0.05, 0.35)];
      towers.push(buildTower(rng, { base: base2, height: h2, angle: roll + rng.range(-0.1, 0.1) }));
      cables.push(...cablesBetween(rng, towers[0]!, towers[1]!, size, down));
      const far = cablesFromTower(rng, towers[1]!, size, down)
        .filter((c) => Math.sign(c.points[c.points.length - 1]![0] - base2[0]) === side);
      cables.push(...far);
      const near = cablesFromTower(rng, towers[0]!, size, down)
        .filter((c) => Math.sign(c.points[c.points.length - 1]![0] - base[0]) === -side);
      cables.push(...near);
    } else {
      cables.push(...cablesFromTower(rng, towers[0]!, size, down));
    }
  }
  const rust: RustPatch[] = [];
  towers.forEach((tower, index) => {
    if (rng.chance(0.55)) rust.push(buildRust(rng, tower, index));
  });
  const shadows = towers.flatMap((_, tower) =>
    backgroundKind !== 'sky' && rng.chance(0.5)
      ? [{ tower, offset: [rng.range(-25, 25), rng.range(5, 30)] as Point, opacity: rng.range(0.15, 0.35) }]
      : []);
  const lighting: Lighting = {
    gain: rng.range(0.65, 1.25),
    slope: rng.range(-0.3, 0.3),
    angle: rng.range(0, 2 * Math.PI),
    tint: [rng.range(0.92, 1.08), rng.range(0.95, 1.05), rng.range(0.92, 1.08)],
    grain: rng.range(1, 9),
    blur: rng.chance(0.3) ? rng.range(0.3, 0.9) : 0,
  };
  return { size, backgroundKind, background, towers, rust, cables, shadows, lighting };
}
