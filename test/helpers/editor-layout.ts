// Where the editor draws a tab's nodes and their statuses, in workspace pixels (zoom 1, scrolled to the origin),
// and the overlaps between them: what a user sees as status text running into the next node.
import type { Page } from 'playwright-core';

// The editor page's globals, as the functions passed to page.evaluate see them there (they run in the page).
declare const RED: any;
declare const document: any;
interface ClientRect { left: number; top: number; width: number; height: number }

export interface Box { x: number; y: number; width: number; height: number }
export interface DrawnNode {
  id: string; type: string; label: string; body: Box; status?: { text: string; box: Box };
  /** The picture preview (with its legend) the package's editor plugin draws under mlops-image / mlops-segment. */
  preview?: Box;
}
export interface TabLayout { chartWidth: number; scale: number; nodes: DrawnNode[] }

/** Shows tab `tabId` scrolled to its origin and reads the boxes of its nodes and visible statuses. */
export async function tabLayout(page: Page, tabId: string): Promise<TabLayout> {
  await page.evaluate((id) => {
    RED.workspaces.show(id);
    const chart = document.getElementById('red-ui-workspace-chart')!;
    chart.scrollLeft = 0;
    chart.scrollTop = 0;
  }, tabId);
  // The view redraws on the next animation frame after a tab switch.
  await page.waitForFunction((id) => RED.nodes.filterNodes({ z: id }).every((n: { id: string }) => document.getElementById(n.id)), tabId);
  return page.evaluate((id) => {
    const chart = document.getElementById('red-ui-workspace-chart')!;
    const origin = chart.getBoundingClientRect();
    const box = (r: ClientRect) => ({ x: r.left - origin.left + chart.scrollLeft, y: r.top - origin.top + chart.scrollTop, width: r.width, height: r.height });
    const nodes = RED.nodes.filterNodes({ z: id }).map((n: { id: string; type: string }) => {
      const group = document.getElementById(n.id)!;
      const status = group.querySelector('.red-ui-flow-node-status-group') as { style: { display: string }; querySelector(s: string): { textContent: string | null } | null; getBoundingClientRect(): ClientRect } | null;
      const text = status?.querySelector('.red-ui-flow-node-status-label')?.textContent ?? '';
      const shown = status && status.style.display !== 'none' && text !== '';
      const preview = group.querySelector('.mlops-vision-preview')?.getBoundingClientRect();
      // The body with its button (inject, debug), which sticks out of it.
      const parts = ['.red-ui-flow-node', '.red-ui-flow-node-button'].map((s) => group.querySelector(s)?.getBoundingClientRect())
        .filter((r: ClientRect | undefined): r is ClientRect => r !== undefined && r.width > 0);
      const left = Math.min(...parts.map((r: ClientRect) => r.left));
      const top = Math.min(...parts.map((r: ClientRect) => r.top));
      const right = Math.max(...parts.map((r: ClientRect) => r.left + r.width));
      const bottom = Math.max(...parts.map((r: ClientRect) => r.top + r.height));
      return {
        id: n.id, type: n.type, label: group.querySelector('.red-ui-flow-node-label')?.textContent ?? '',
        body: box({ left, top, width: right - left, height: bottom - top }),
        ...(shown ? { status: { text, box: box(status.getBoundingClientRect()) } } : {}),
        ...(preview && preview.width > 0 ? { preview: box(preview) } : {}),
      };
    });
    return { chartWidth: chart.clientWidth, scale: RED.view.scale(), nodes };
  }, tabId);
}

/** The width the editor's status font gives `text` (to reserve room for text a status will carry). */
export async function statusTextWidth(page: Page, text: string): Promise<number> {
  return page.evaluate((t) => {
    const svg = document.querySelector('#red-ui-workspace-chart svg')!;
    const probe = document.createElementNS('http://www.w3.org/2000/svg', 'text');
    probe.setAttribute('class', 'red-ui-flow-node-status-label');
    probe.textContent = t;
    svg.appendChild(probe);
    const width = probe.getBBox().width;
    probe.remove();
    return width;
  }, text);
}

export function intersects(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/**
 * Nodes drawn over each other, every status (widened by `reserve(node)` px to its right) that touches another node or
 * another status, and every preview that touches another node, status or preview.
 */
export function layoutOverlaps(nodes: DrawnNode[], reserve: (node: DrawnNode) => number = () => 0): string[] {
  const widened = (n: DrawnNode): Box => ({ ...n.status!.box, width: n.status!.box.width + reserve(n) });
  const name = (n: DrawnNode) => `${n.label || n.type} (${n.id})`;
  const found: string[] = [];
  nodes.forEach((n, i) => {
    for (const other of nodes.slice(i + 1)) if (intersects(n.body, other.body)) found.push(`node ${name(n)} and node ${name(other)} overlap`);
  });
  for (const n of nodes.filter((m) => m.preview)) {
    for (const other of nodes) {
      if (other.id === n.id) continue;
      if (intersects(n.preview!, other.body)) found.push(`the preview of ${name(n)} covers node ${name(other)}`);
      if (other.status && intersects(n.preview!, widened(other))) found.push(`the preview of ${name(n)} covers the status of ${name(other)}`);
      if (other.preview && nodes.indexOf(other) > nodes.indexOf(n) && intersects(n.preview!, other.preview)) found.push(`the previews of ${name(n)} and ${name(other)} overlap`);
    }
  }
  const withStatus = nodes.filter((n) => n.status);
  for (const n of withStatus) {
    for (const other of nodes) {
      if (other.id === n.id) continue;
      if (intersects(widened(n), other.body)) found.push(`status "${n.status!.text}" of ${name(n)} runs into node ${name(other)}`);
      if (other.status && withStatus.indexOf(other) > withStatus.indexOf(n) && intersects(widened(n), widened(other))) {
        found.push(`status "${n.status!.text}" of ${name(n)} overlaps status "${other.status.text}" of ${name(other)}`);
      }
    }
  }
  return found;
}

/** The right edge of everything drawn (bodies and widened statuses). */
export function rightEdge(nodes: DrawnNode[], reserve: (node: DrawnNode) => number = () => 0): number {
  return Math.max(...nodes.map((n) => Math.max(n.body.x + n.body.width, n.status ? n.status.box.x + n.status.box.width + reserve(n) : 0,
    n.preview ? n.preview.x + n.preview.width : 0)));
}
