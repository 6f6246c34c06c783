// Pixel counts and connected components of a class map.

/** Pixels per class index (length classCount). */
export function countPixels(classMap: Uint8Array, classCount: number): Float64Array {
  const counts = new Float64Array(256);
  for (let i = 0; i < classMap.length; i++) counts[classMap[i]!]!++;
  return counts.slice(0, classCount);
}

export interface Component {
  classIndex: number;
  /** Pixels in the component. */
  area: number;
  /** [x, y, width, height] of the enclosing box. */
  bbox: [number, number, number, number];
}

export interface ComponentOptions {
  /** Components smaller than this many pixels are dropped. */
  minArea: number;
  /** At most this many components are kept (the largest). */
  maxCount: number;
  /** Class 0 is background and has no components unless this is set. */
  includeBackground: boolean;
}

/** Growable Int32 columns for the runs of equal class along each row. */
class RunTable {
  length = 0;
  start = new Int32Array(1024);
  end = new Int32Array(1024);
  row = new Int32Array(1024);
  classIndex = new Uint8Array(1024);
  parent = new Int32Array(1024);

  add(start: number, end: number, row: number, classIndex: number): void {
    if (this.length === this.start.length) this.grow();
    const i = this.length++;
    this.start[i] = start;
    this.end[i] = end;
    this.row[i] = row;
    this.classIndex[i] = classIndex;
    this.parent[i] = i;
  }

  private grow(): void {
    const size = this.start.length * 2;
    const widen = <T extends Int32Array | Uint8Array>(old: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(old);
      return next;
    };
    this.start = widen(this.start, (n) => new Int32Array(n));
    this.end = widen(this.end, (n) => new Int32Array(n));
    this.row = widen(this.row, (n) => new Int32Array(n));
    this.classIndex = widen(this.classIndex, (n) => new Uint8Array(n));
    this.parent = widen(this.parent, (n) => new Int32Array(n));
  }

  find(i: number): number {
    const parent = this.parent;
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!; // path halving
      i = parent[i]!;
    }
    return i;
  }

  union(a: number, b: number): void {
    const rootA = this.find(a);
    const rootB = this.find(b);
    if (rootA < rootB) this.parent[rootB] = rootA;
    else if (rootB < rootA) this.parent[rootA] = rootB;
  }
}

/**
 * Connected components with 8-connectivity (pixels touching at an edge or a corner belong together),
 * found with run-length labelling: each row is cut into runs of one class, and a run joins every run of the same
 * class in the row above that overlaps it or touches it diagonally. Sorted by area, largest first.
 */
export function findComponents(classMap: Uint8Array, width: number, height: number, options: ComponentOptions): Component[] {
  const runs = new RunTable();
  const firstClass = options.includeBackground ? 0 : 1;
  let previousBegin = 0;
  let previousEnd = 0;
  for (let y = 0; y < height; y++) {
    const rowOffset = y * width;
    const rowBegin = runs.length;
    let x = 0;
    while (x < width) {
      const classIndex = classMap[rowOffset + x]!;
      const start = x;
      while (x < width && classMap[rowOffset + x] === classIndex) x++;
      if (classIndex >= firstClass) runs.add(start, x, y, classIndex);
    }
    // Runs are ordered by x in both rows, so one forward pointer finds the candidates for each run.
    let above = previousBegin;
    for (let current = rowBegin; current < runs.length; current++) {
      const start = runs.start[current]!;
      const end = runs.end[current]!;
      while (above < previousEnd && runs.end[above]! < start) above++;
      for (let candidate = above; candidate < previousEnd && runs.start[candidate]! <= end; candidate++) {
        if (runs.classIndex[candidate] === runs.classIndex[current]) runs.union(candidate, current);
      }
    }
    previousBegin = rowBegin;
    previousEnd = runs.length;
  }

  const byRoot = new Map<number, { classIndex: number; area: number; minX: number; minY: number; maxX: number; maxY: number }>();
  for (let i = 0; i < runs.length; i++) {
    const root = runs.find(i);
    const start = runs.start[i]!;
    const end = runs.end[i]!;
    const row = runs.row[i]!;
    const found = byRoot.get(root);
    if (!found) {
      byRoot.set(root, { classIndex: runs.classIndex[i]!, area: end - start, minX: start, minY: row, maxX: end, maxY: row + 1 });
      continue;
    }
    found.area += end - start;
    if (start < found.minX) found.minX = start;
    if (end > found.maxX) found.maxX = end;
    if (row + 1 > found.maxY) found.maxY = row + 1;
  }

  const components: Component[] = [];
  for (const c of byRoot.values()) {
    if (c.area < options.minArea) continue;
    components.push({ classIndex: c.classIndex, area: c.area, bbox: [c.minX, c.minY, c.maxX - c.minX, c.maxY - c.minY] });
  }
  // Ties in area keep a stable, reading order (top to bottom, then left to right).
  components.sort((a, b) => b.area - a.area || a.bbox[1] - b.bbox[1] || a.bbox[0] - b.bbox[0] || a.classIndex - b.classIndex);
  return components.slice(0, Math.max(0, options.maxCount));
}
