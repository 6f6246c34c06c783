// Writes a scene as two SVGs from the same shapes: the picture (anti-aliased, textured) and a structure map
// (anti-aliasing off, one flat grey level per tower and one for cables), from which the class mask is derived.
import { pointsAttribute, round2 } from './geometry';
import type { Scene } from './scene';
import type { Member } from './tower';

export const CLASS_LABELS = ['background', 'tower', 'cable', 'rust'] as const;
export const CLASS_COLORS = ['#000000', '#1f77b4', '#ffbf00', '#d62728'] as const;

/** Grey level of tower i in the structure map; far apart so any blending would show as a stray level. */
export function towerLevel(index: number): number {
  return 40 * (index + 1);
}
export const CABLE_LEVEL = 240;

function lines(members: Member[]): string {
  return members
    .map((m) => `<line x1="${round2(m.from[0])}" y1="${round2(m.from[1])}" x2="${round2(m.to[0])}" y2="${round2(m.to[1])}" stroke-width="${round2(m.width)}"/>`)
    .join('');
}

interface Paint {
  tower(index: number): string;
  cable(index: number): string;
}

/** Towers, then cables in front of them. */
function structures(scene: Scene, paint: Paint): string {
  const towers = scene.towers
    .map((t, i) => `<g stroke="${paint.tower(i)}" stroke-linecap="round">${lines(t.members)}</g>`)
    .join('');
  const cables = scene.cables
    .map((c, i) => `<polyline points="${pointsAttribute(c.points)}" fill="none" stroke="${paint.cable(i)}" stroke-width="${round2(c.width)}" stroke-linejoin="round" stroke-linecap="round"/>`)
    .join('');
  return towers + cables;
}

function svgDocument(size: number, attributes: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}"${attributes}>${body}</svg>`;
}

/** The picture without rust; rust is painted onto exactly the mask's rust pixels afterwards. */
export function imageSvg(scene: Scene): string {
  const shadows = scene.shadows
    .map((s) => `<g transform="translate(${round2(s.offset[0])},${round2(s.offset[1])})" stroke="#000" stroke-opacity="${round2(s.opacity)}" stroke-linecap="round">${lines(scene.towers[s.tower]!.members)}</g>`)
    .join('');
  const paint: Paint = { tower: (i) => scene.towers[i]!.color, cable: (i) => scene.cables[i]!.color };
  return svgDocument(scene.size, '', `${scene.background}${shadows}${structures(scene, paint)}`);
}

function grey(level: number): string {
  return `rgb(${level},${level},${level})`;
}

export function structureSvg(scene: Scene): string {
  const paint: Paint = { tower: (i) => grey(towerLevel(i)), cable: () => grey(CABLE_LEVEL) };
  return svgDocument(
    scene.size,
    ' shape-rendering="crispEdges"',
    `<rect x="0" y="0" width="${scene.size}" height="${scene.size}" fill="${grey(0)}"/>${structures(scene, paint)}`,
  );
}
