import { JobRunStatus } from '../../model/statuses.js';
import type { Overview, WorkerView } from '../dashboard.service.js';
import { finishedChart } from './chart.js';
import { age, time } from './format.js';
import { html, type SafeHtml } from './html.js';
import { layout, type PageContext } from './layout.js';

const STATUSES = Object.values(JobRunStatus);
const hhmm = (at: Date) => at.toISOString().slice(11, 16);

export function workersTable(ctx: PageContext, workers: readonly WorkerView[]): SafeHtml {
  if (workers.length === 0) return html`<p class="muted">No worker has sent a heartbeat.</p>`;
  return html`<table class="workers">
<thead><tr><th>Worker</th><th>Host</th><th>PID</th><th>Queues</th><th>Concurrency</th><th>Held runs</th><th>Started</th><th>Last heartbeat</th></tr></thead>
<tbody>${workers.map((w) => html`<tr class="${w.stale ? 'stale' : ''}">
<td><code>${w.workerId}</code>${w.stale ? html` <span class="badge s-failed">stale</span>` : ''}</td><td>${w.hostname ?? ''}</td><td>${w.pid ?? ''}</td>
<td>${w.queues.join(', ')}</td><td>${w.concurrency ?? ''}</td>
<td>${w.runningRunIds.length ? w.runningRunIds.map((id) => html`<a href="${ctx.base}/runs/${id}"><code>${id.slice(0, 8)}</code></a> `) : html`<span class="muted">none</span>`}</td>
<td>${time(w.startedAt)}</td><td>${time(w.lastHeartbeat)}</td></tr>`)}</tbody></table>`;
}

export function overviewPage(ctx: PageContext, o: Overview): string {
  const queues = [...new Set(o.counts.map((c) => c.queue))];
  const count = (queue: string, status: JobRunStatus) => o.counts.find((c) => c.queue === queue && c.status === status)?.count ?? 0;
  const link = (status: JobRunStatus, queue?: string) => `${ctx.base}/runs?status=${status}${queue ? `&queue=${encodeURIComponent(queue)}` : ''}`;
  const body = html`
<section id="totals" data-live>
<div class="cards">${STATUSES.map((s) => html`<a class="card s-${s}" href="${link(s)}" data-status="${s}"><span class="n">${o.totals[s]}</span><span>${s}</span></a>`)}</div>
${o.unattendedQueues.length ? html`<div class="alert" id="unattended"><strong>No live worker takes these queues</strong>, whose pending runs wait: ${o.unattendedQueues.map((q) => html`<code>${q}</code> `)}</div>` : ''}
</section>
<section id="charts" data-live>
<h2>Finished runs</h2>
<p class="muted" id="finished-as-of">Completed, failed and cancelled counts and these charts as of ${time(o.finishedAsOf)}: counted again every few seconds at most. The other counts are current.</p>
${finishedChart(o.lastHour, 'Last hour, per minute', hhmm)}
${finishedChart(o.lastDay, 'Last day, per hour', hhmm)}
</section>
<section id="queues" data-live>
<h2>Queues</h2>
${queues.length === 0 ? html`<p class="muted">No runs yet.</p>` : html`<table class="counts">
<thead><tr><th>Queue</th>${STATUSES.map((s) => html`<th>${s}</th>`)}<th>Oldest pending</th></tr></thead>
<tbody>${queues.map((q) => {
    const backlog = o.backlogs.find((b) => b.queue === q);
    return html`<tr data-queue="${q}"><td><code>${q}</code>${o.unattendedQueues.includes(q) ? html` <span class="badge s-failed" title="no live worker">unattended</span>` : ''}</td>
${STATUSES.map((s) => html`<td><a href="${link(s, q)}">${count(q, s)}</a></td>`)}
<td>${backlog ? html`${age(backlog.oldestAgeMs)} <span class="muted">(${backlog.pending} due)</span>` : html`<span class="muted">–</span>`}</td></tr>`;
  })}</tbody></table>`}
</section>
<section id="overview-workers" data-live>
<h2>Workers</h2>
${workersTable(ctx, o.workers)}
</section>`;
  return layout(ctx, 'Overview', 'Overview', body);
}
