import type { SeriesPoint } from '../../storage/dashboard-queries.js';
import { html, type SafeHtml } from './html.js';

/**
 * Completed and failed runs per bucket as an inline SVG bar chart (stacked: completed below, failed
 * above). No library: the numbers are few, and the page must work offline.
 */
export function finishedChart(points: readonly SeriesPoint[], label: string, tick: (at: Date) => string): SafeHtml {
  const width = 720;
  const height = 140;
  const top = 10;
  const bottom = 20;
  const max = Math.max(1, ...points.map((p) => p.completed + p.failed));
  const slot = width / Math.max(1, points.length);
  const bar = Math.max(1, slot - 1);
  const scale = (n: number) => ((height - top - bottom) * n) / max;
  const bars = points.map((p, i) => {
    const x = (i * slot).toFixed(1);
    const hc = scale(p.completed);
    const hf = scale(p.failed);
    const base = height - bottom;
    return html`<g><title>${tick(p.at)}: ${p.completed} completed, ${p.failed} failed</title>${
      hc > 0 ? html`<rect class="c" x="${x}" y="${(base - hc).toFixed(1)}" width="${bar.toFixed(1)}" height="${hc.toFixed(1)}"/>` : ''
    }${hf > 0 ? html`<rect class="f" x="${x}" y="${(base - hc - hf).toFixed(1)}" width="${bar.toFixed(1)}" height="${hf.toFixed(1)}"/>` : ''}</g>`;
  });
  const every = Math.max(1, Math.ceil(points.length / 6));
  const ticks = points
    .map((p, i) => (i % every === 0 ? html`<text x="${(i * slot).toFixed(1)}" y="${height - 5}">${tick(p.at)}</text>` : ''));
  const total = points.reduce((acc, p) => [acc[0] + p.completed, acc[1] + p.failed], [0, 0]);
  return html`<figure class="chart">
<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${label}: ${total[0]} completed, ${total[1]} failed">
<line x1="0" y1="${height - bottom}" x2="${width}" y2="${height - bottom}" class="axis"/>
<text x="0" y="${top}" class="max">${max}</text>
${bars}${ticks}
</svg>
<figcaption>${label}: <span class="legend c"></span> ${total[0]} completed <span class="legend f"></span> ${total[1]} failed</figcaption>
</figure>`;
}
