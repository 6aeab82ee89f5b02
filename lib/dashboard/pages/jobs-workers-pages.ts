import type { JobDefinition } from '../../model/job-run.js';
import type { WorkerView } from '../dashboard.service.js';
import { badge, time } from './format.js';
import { html } from './html.js';
import { layout, type PageContext } from './layout.js';
import { workersTable } from './overview-page.js';
import { scheduleWords, upcomingTicks, zonedTime } from './schedule-words.js';

export function jobsPage(ctx: PageContext, definitions: readonly JobDefinition[]): string {
  const body = html`
<section id="jobs" data-live>
${definitions.length === 0 ? html`<p class="muted">No job is defined.</p>` : html`<table class="jobs">
<thead><tr><th>Job</th><th>Queue</th><th>Schedule</th><th>Next ticks</th><th>Last run</th><th>Enabled</th>${ctx.readOnly ? '' : html`<th>Trigger now</th>`}</tr></thead>
<tbody>${definitions.map((d) => {
    const api = `${ctx.base}/api/jobs/${encodeURIComponent(d.jobTypeId)}`;
    return html`<tr data-job="${d.jobTypeId}">
<td><a href="${ctx.base}/runs?job=${encodeURIComponent(d.jobTypeId)}"><strong>${d.displayName}</strong></a><br><code class="muted">${d.jobTypeId}</code>${d.description ? html`<br><small>${d.description}</small>` : ''}</td>
<td>${d.queue}</td>
<td>${scheduleWords(d)}</td>
<td>${upcomingTicks(d, 3).map((t) => html`<div><time datetime="${t.toISOString()}">${zonedTime(t, d.timezone)}</time></div>`)}</td>
<td>${time(d.lastRunAt)} ${badge(d.lastRunStatus)}</td>
<td>${ctx.readOnly
      ? (d.isEnabled ? 'yes' : 'no')
      : html`<form data-action="${api}/${d.isEnabled ? 'disable' : 'enable'}"><button type="submit" class="switch ${d.isEnabled ? 'on' : 'off'}" role="switch" aria-checked="${d.isEnabled ? 'true' : 'false'}" data-toggle="${d.jobTypeId}">${d.isEnabled ? 'enabled' : 'disabled'}</button></form>`}</td>
${ctx.readOnly ? '' : html`<td><form data-action="${api}/trigger" data-body="input" class="trigger"><details><summary>Trigger…</summary>
<label>Input (JSON; empty: the default)<textarea name="input" rows="4">${d.defaultInput === null || d.defaultInput === undefined ? '' : JSON.stringify(d.defaultInput, null, 2)}</textarea></label>
<button type="submit" data-trigger="${d.jobTypeId}">Run now</button></details></form></td>`}
</tr>`;
  })}</tbody></table>`}
</section>`;
  return layout(ctx, 'Jobs', 'Jobs', body);
}

export function workersPage(ctx: PageContext, workers: readonly WorkerView[]): string {
  return layout(ctx, 'Workers', 'Workers', html`<section id="workers" data-live>${workersTable(ctx, workers)}</section>`);
}
