// A box-plot picture (SVG, no dependencies) of latency distributions: one group per model, one box per variant.
// Box: quartiles; whiskers: the extremes within 1.5 IQR; dots: runs outside them; a line at the median.
import { quantile } from '../lib/util/stats';

export interface BoxSeries {
  label: string;
  values: number[];
}

export interface BoxGroup {
  label: string;
  series: BoxSeries[];
}

export interface BoxStats { min: number; q1: number; median: number; q3: number; max: number; outliers: number[] }


export function boxStats(values: number[]): BoxStats {
  const sorted = [...values].sort((a, b) => a - b);
  const q1 = quantile(sorted, 0.25);
  const q3 = quantile(sorted, 0.75);
  const fence = 1.5 * (q3 - q1);
  const inside = sorted.filter((v) => v >= q1 - fence && v <= q3 + fence);
  return {
    min: inside[0] ?? q1, q1, median: quantile(sorted, 0.5), q3, max: inside[inside.length - 1] ?? q3,
    outliers: sorted.filter((v) => v < q1 - fence || v > q3 + fence),
  };
}

const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948'];

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function boxPlotSvg(title: string, yLabel: string, groups: BoxGroup[], subtitle = ''): string {
  const seriesLabels = [...new Set(groups.flatMap((g) => g.series.map((s) => s.label)))];
  const boxWidth = 22;
  const groupWidth = seriesLabels.length * (boxWidth + 8) + 40;
  const left = 70;
  const top = subtitle ? 64 : 50;
  const plotHeight = 320;
  const width = Math.max(720, left + groups.length * groupWidth + 20);
  const height = top + plotHeight + 70 + 18 * Math.ceil(seriesLabels.length / 3);
  const all = groups.flatMap((g) => g.series.flatMap((s) => s.values));
  const maxValue = Math.max(1, ...all) * 1.05;
  const y = (v: number) => top + plotHeight - (v / maxValue) * plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="13" font-weight="bold">${escape(title)}</text>`,
    ...(subtitle ? [`<text x="${width / 2}" y="40" text-anchor="middle" font-size="12">${escape(subtitle)}</text>`] : []),
    `<text transform="translate(16 ${top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escape(yLabel)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const value = (maxValue * i) / 5;
    parts.push(`<line x1="${left}" x2="${width - 10}" y1="${y(value)}" y2="${y(value)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${y(value) + 4}" text-anchor="end">${value >= 100 || value === 0 ? value.toFixed(0) : value.toFixed(1)}</text>`);
  }
  groups.forEach((group, g) => {
    const x0 = left + g * groupWidth + 20;
    parts.push(`<text x="${x0 + (groupWidth - 40) / 2}" y="${top + plotHeight + 18}" text-anchor="middle">${escape(group.label)}</text>`);
    for (const series of group.series) {
      if (series.values.length === 0) continue;
      const s = seriesLabels.indexOf(series.label);
      const x = x0 + s * (boxWidth + 8);
      const mid = x + boxWidth / 2;
      const b = boxStats(series.values);
      const color = COLORS[s % COLORS.length]!;
      parts.push(
        `<g class="box" data-series="${escape(series.label)}">`,
        `<line x1="${mid}" x2="${mid}" y1="${y(b.max)}" y2="${y(b.q3)}" stroke="#333"/>`,
        `<line x1="${mid}" x2="${mid}" y1="${y(b.q1)}" y2="${y(b.min)}" stroke="#333"/>`,
        `<line x1="${x + 5}" x2="${x + boxWidth - 5}" y1="${y(b.max)}" y2="${y(b.max)}" stroke="#333"/>`,
        `<line x1="${x + 5}" x2="${x + boxWidth - 5}" y1="${y(b.min)}" y2="${y(b.min)}" stroke="#333"/>`,
        `<rect x="${x}" y="${y(b.q3)}" width="${boxWidth}" height="${Math.max(1, y(b.q1) - y(b.q3))}" fill="${color}" fill-opacity="0.75" stroke="#333"/>`,
        `<line x1="${x}" x2="${x + boxWidth}" y1="${y(b.median)}" y2="${y(b.median)}" stroke="black" stroke-width="2"/>`,
        ...b.outliers.map((v) => `<circle cx="${mid}" cy="${y(v)}" r="2" fill="none" stroke="#333"/>`),
        `</g>`,
      );
    }
  });
  seriesLabels.forEach((label, s) => {
    const x = left + (s % 3) * 220;
    const ly = top + plotHeight + 40 + 18 * Math.floor(s / 3);
    parts.push(`<rect x="${x}" y="${ly - 9}" width="12" height="12" fill="${COLORS[s % COLORS.length]}" fill-opacity="0.75" stroke="#333"/>`,
      `<text x="${x + 18}" y="${ly + 1}">${escape(label)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
