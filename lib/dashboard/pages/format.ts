import type { JobRunStatus } from '../../model/statuses.js';
import { html, type SafeHtml } from './html.js';

export const iso = (at: Date | null | undefined): string => (at ? at.toISOString().replace('.000Z', 'Z') : '');

export function time(at: Date | null | undefined): SafeHtml {
  return at ? html`<time datetime="${at.toISOString()}">${iso(at).replace('T', ' ')}</time>` : html`<span class="muted">–</span>`;
}

export function age(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export const badge = (status: JobRunStatus | string | null): SafeHtml => (status ? html`<span class="badge s-${status}">${status}</span>` : html``);

/** A JSON value, pretty-printed, as text (escaped by html``). */
export function json(value: unknown): SafeHtml {
  if (value === null || value === undefined) return html`<span class="muted">none</span>`;
  return html`<pre class="json">${typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value, null, 2)}</pre>`;
}

export const shortId = (id: string): string => id.slice(0, 8);
