// Lattice transmission tower geometry: tapered legs, panels with cross-bracing, cross-arms with insulators, peak.
import { lerp, placer, type Point } from './geometry';
import type { Random } from './random';

/** One straight steel member, drawn as a line of the given width. */
export interface Member {
  from: Point;
  to: Point;
  width: number;
}

export interface Tower {
  members: Member[];
  /** Where conductors hang (insulator ends), left to right per arm level, then the earth-wire peak(s). */
  attachments: Point[];
  /** Image position of the base centre and the rotation (radians) of the tower's axis. */
  base: Point;
  angle: number;
  height: number;
  color: string;
}

export interface TowerSpec {
  base: Point;
  height: number;
  angle: number;
}

const STEEL_COLORS = ['#8c9196', '#9da3a8', '#6f757a', '#b4b8bb', '#7d7f80', '#5f6468', '#a8a39a'];

export function buildTower(rng: Random, spec: TowerSpec): Tower {
  const H = spec.height;
  const baseHalf = H * rng.range(0.12, 0.2);
  const neckHalf = H * rng.range(0.035, 0.06);
  const bodyTop = -H * rng.range(0.58, 0.7);
  const legWidth = Math.max(1.6, H * rng.range(0.01, 0.014));
  const braceWidth = Math.max(1.1, H * rng.range(0.005, 0.007));
  const members: Member[] = [];
  const local: Member[] = [];
  const member = (from: Point, to: Point, width: number) => local.push({ from, to, width });

  // Body: legs taper from the base to the neck; panels get shorter towards the top.
  const panels = rng.int(4, 7);
  const shrink = rng.range(0.72, 0.88);
  let total = 0;
  for (let i = 0; i < panels; i++) total += shrink ** i;
  const levels: number[] = [0];
  for (let i = 0, y = 0; i < panels; i++) levels.push((y += (bodyTop * shrink ** i) / total));
  const halfAt = (y: number) => baseHalf + (neckHalf - baseHalf) * (y / bodyTop);
  member([-baseHalf, 0], [-neckHalf, bodyTop], legWidth);
  member([baseHalf, 0], [neckHalf, bodyTop], legWidth);
  for (let i = 1; i < levels.length; i++) {
    const y0 = levels[i - 1]!;
    const y1 = levels[i]!;
    member([-halfAt(y1), y1], [halfAt(y1), y1], braceWidth);
    member([-halfAt(y0), y0], [halfAt(y1), y1], braceWidth);
    member([halfAt(y0), y0], [-halfAt(y1), y1], braceWidth);
  }

  // Neck: straight legs up to the peak, with cross-arms at one to three levels.
  const top = -H;
  member([-neckHalf, bodyTop], [-neckHalf * 0.8, top], legWidth);
  member([neckHalf, bodyTop], [neckHalf * 0.8, top], legWidth);
  const neckPanels = rng.int(2, 4);
  for (let i = 1; i <= neckPanels; i++) {
    const y0 = bodyTop + ((top - bodyTop) * (i - 1)) / neckPanels;
    const y1 = bodyTop + ((top - bodyTop) * i) / neckPanels;
    member([-neckHalf, y0], [neckHalf * 0.9, y1], braceWidth);
    member([neckHalf, y0], [-neckHalf * 0.9, y1], braceWidth);
    member([-neckHalf, y1], [neckHalf, y1], braceWidth);
  }
  const attachmentsLocal: Point[] = [];
  const armLevels = rng.int(1, 3);
  const armLength = H * rng.range(0.18, 0.32);
  const armDepth = H * rng.range(0.04, 0.07);
  const insulator = H * rng.range(0.04, 0.08);
  for (let a = 0; a < armLevels; a++) {
    const y = bodyTop + (top - bodyTop) * (0.25 + (0.7 * a) / Math.max(1, armLevels));
    const reach = armLength * (a === armLevels - 1 && armLevels > 1 ? 0.8 : 1);
    for (const side of [-1, 1]) {
      const root: Point = [side * neckHalf, y];
      const tip: Point = [side * (neckHalf + reach), y];
      member(root, tip, braceWidth * 1.2);
      member([side * neckHalf, y - armDepth], tip, braceWidth * 1.2);
      member(lerp(root, tip, 0.5), [side * neckHalf, y - armDepth], braceWidth);
      const hang: Point = [tip[0], y + insulator];
      member([tip[0] - side * 1, y], hang, Math.max(1.2, braceWidth));
      attachmentsLocal.push(hang);
    }
  }
  // Peak for the earth wire.
  const peak: Point = [0, top - H * rng.range(0.04, 0.08)];
  member([-neckHalf * 0.8, top], peak, braceWidth);
  member([neckHalf * 0.8, top], peak, braceWidth);
  attachmentsLocal.push(peak);

  const place = placer(spec.base, spec.angle);
  for (const m of local) members.push({ from: place(m.from), to: place(m.to), width: m.width });
  return {
    members,
    attachments: attachmentsLocal.map(place),
    base: spec.base,
    angle: spec.angle,
    height: H,
    color: rng.pick(STEEL_COLORS),
  };
}

/** Rust spots centred on the tower's members; the visible rust is the tower drawn inside these circles. */
export interface RustPatch {
  tower: number;
  spots: { cx: number; cy: number; r: number }[];
  color: string;
}

const RUST_COLORS = ['#a0522d', '#b5651d', '#8b4513', '#c0652b', '#9c4a1a', '#b8562a'];

export function buildRust(rng: Random, tower: Tower, towerIndex: number): RustPatch {
  const spots: RustPatch['spots'] = [];
  const count = rng.int(1, 4);
  for (let i = 0; i < count; i++) {
    const m = rng.pick(tower.members);
    const [cx, cy] = lerp(m.from, m.to, rng.range(0.1, 0.9));
    spots.push({ cx, cy, r: tower.height * rng.range(0.04, 0.1) + 2 });
  }
  return { tower: towerIndex, spots, color: rng.pick(RUST_COLORS) };
}
