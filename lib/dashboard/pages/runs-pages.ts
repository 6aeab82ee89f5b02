import type { JobDefinition, JobRun } from '../../model/job-run.js';
import { JobRunStatus } from '../../model/statuses.js';
import type { RunDetail, RunPage } from '../../storage/dashboard-queries.js';
import type { BulkAction, SearchedWindow } from '../dashboard.service.js';
import { filterQuery, FILTER_KEYS, type RunFilterParams } from '../run-filter.js';
import { badge, json, shortId, time } from './format.js';
import { html, type SafeHtml } from './html.js';
import { layout, type PageContext } from './layout.js';

const STATUSES = Object.values(JobRunStatus);
const flat = (v: string | string[] | undefined): string => (Array.isArray(v) ? v.join(',') : v ?? '');

function runsTable(ctx: PageContext, runs: readonly JobRun[]): SafeHtml {
  if (runs.length === 0) return html`<p class="muted">No run matches.</p>`;
  return html`<table class="runs">
<thead><tr><th>Run</th><th>Job</th><th>Status</th><th>Queue</th><th>Attempt</th><th>Created</th><th>Finished</th><th>Error</th></tr></thead>
<tbody>${runs.map((r) => html`<tr data-run="${r.id}">
<td><a href="${ctx.base}/runs/${r.id}"><code>${shortId(r.id)}</code></a></td><td>${r.jobTypeId}</td><td>${badge(r.status)}</td><td>${r.queue}</td>
<td>${r.attemptNumber}</td><td>${time(r.createdAt)}</td><td>${time(r.completedAt)}</td><td class="error">${r.errorMessage ?? ''}</td></tr>`)}</tbody></table>`;
}

/** Said wherever a text search was bounded, so that no one reads "no match" as "no match anywhere". */
function searchedNote(searched: SearchedWindow | undefined): SafeHtml {
  if (!searched) return html``;
  return html`<p class="muted" id="searched">Text searched in the latest ${searched.runs.toLocaleString('en')} runs only (created since ${time(searched.since)}): set an earlier <em>To</em> to search older runs.</p>`;
}

export function runsPage(
  ctx: PageContext,
  params: RunFilterParams,
  page: RunPage & { searched?: SearchedWindow },
  definitions: readonly JobDefinition[],
  error?: string,
): string {
  const status = flat(params.status);
  const queues = [...new Set(definitions.map((d) => d.queue))];
  const body = html`
<form class="filters" method="get" action="${ctx.base}/runs">
  <label>Status <select name="status"><option value="">any</option>${STATUSES.map((s) => html`<option value="${s}"${status === s ? html` selected` : ''}>${s}</option>`)}</select></label>
  <label>Job <select name="job"><option value="">any</option>${definitions.map((d) => html`<option value="${d.jobTypeId}"${params.job === d.jobTypeId ? html` selected` : ''}>${d.displayName}</option>`)}</select></label>
  <label>Queue <select name="queue"><option value="">any</option>${queues.map((q) => html`<option${params.queue === q ? html` selected` : ''}>${q}</option>`)}</select></label>
  <label>Correlation id <input name="correlationId" value="${params.correlationId ?? ''}"></label>
  <label>From <input name="from" placeholder="2026-01-31T00:00Z" value="${params.from ?? ''}"></label>
  <label>To <input name="to" placeholder="2026-02-01T00:00Z" value="${params.to ?? ''}"></label>
  <label class="grow">Text in input, output, error <input name="q" type="search" value="${params.q ?? ''}"></label>
  <button type="submit">Filter</button> <a href="${ctx.base}/runs">Reset</a>
</form>
${error ? html`<div class="alert">${error}</div>` : ''}
${ctx.readOnly ? '' : html`<div class="bulk">Everything matching this filter:
  ${(['retry', 'cancel', 'delete'] as const).map((a) => html`<a class="button ${a === 'delete' ? 'danger' : ''}" href="${ctx.base}/runs/bulk${filterQuery(params, { action: a })}" data-bulk="${a}">${a}…</a> `)}
</div>`}
<section id="runs" data-live>
${searchedNote(page.searched)}
${runsTable(ctx, page.runs)}
${page.next ? html`<p><a class="button" rel="next" href="${ctx.base}/runs${filterQuery(params, { cursor: page.next })}">Older runs →</a></p>` : ''}
</section>`;
  return layout(ctx, 'Runs', 'Runs', body);
}

const VERBS: Record<BulkAction, string> = { retry: 'Retry', cancel: 'Cancel', delete: 'Delete' };
const WHICH: Record<BulkAction, string> = { retry: 'failed or cancelled', cancel: 'pending, awaiting or running', delete: 'finished' };

export function bulkConfirmPage(ctx: PageContext, action: BulkAction, params: RunFilterParams, count: number, searched?: SearchedWindow): string {
  const described = FILTER_KEYS.filter((k) => flat(params[k])).map((k) => html`<li>${k}: <code>${flat(params[k])}</code></li>`);
  const body = html`
<div class="confirm">
<p><strong id="bulk-count">${count}</strong> ${WHICH[action]} run${count === 1 ? '' : 's'} match${count === 1 ? 'es' : ''}:</p>
<ul>${described.length ? described : html`<li>every run</li>`}</ul>
${searchedNote(searched)}
<form data-action="${ctx.base}/api/runs/bulk/${action}" data-body="fields" data-then="${ctx.base}/runs${filterQuery(params)}">
${FILTER_KEYS.map((k) => (flat(params[k]) ? html`<input type="hidden" name="${k}" value="${flat(params[k])}">` : ''))}
<button type="submit" class="${action === 'delete' ? 'danger' : ''}" id="bulk-confirm"${count === 0 ? html` disabled` : ''}>${VERBS[action]} ${count} run${count === 1 ? '' : 's'}</button>
<a href="${ctx.base}/runs${filterQuery(params)}">Back</a>
</form>
</div>`;
  return layout(ctx, `${VERBS[action]} matching runs`, 'Runs', body);
}

function progressBar(progress: unknown): SafeHtml {
  const value = typeof progress === 'number' ? progress : (progress as { percent?: unknown } | null)?.percent;
  if (typeof value !== 'number' || !Number.isFinite(value)) return progress == null ? html`` : json(progress);
  const pct = Math.max(0, Math.min(100, value <= 1 && value > 0 && !Number.isInteger(value) ? value * 100 : value));
  return html`<div class="progress" role="progressbar" aria-valuenow="${pct.toFixed(0)}" aria-valuemin="0" aria-valuemax="100"><span style="width:${pct.toFixed(1)}%"></span></div> ${pct.toFixed(0)}%`;
}

/** Created, scheduled, each attempt's first line, last start, finish: in time order. */
function timelineOf(run: JobRun, logs: RunDetail['logs']): Array<[string, Date]> {
  const events: Array<[string, Date | null]> = [
    ['created', run.createdAt], ['scheduled', run.scheduledAt], ['started (last attempt)', run.startedAt], ['finished', run.completedAt], ['next retry', run.nextRetryAt],
    ...logs.filter((g) => g.attempt !== null).map((g): [string, Date] => [`attempt ${g.attempt}: first log line`, g.lines[0].timestamp]),
  ];
  return (events.filter(([, at]) => at !== null) as Array<[string, Date]>).sort((a, b) => a[1].getTime() - b[1].getTime());
}

export function runPage(ctx: PageContext, detail: RunDetail): string {
  const { run, children, logs } = detail;
  const retryable = run.status === JobRunStatus.Failed || run.status === JobRunStatus.Cancelled;
  const cancellable = run.status === JobRunStatus.Pending || run.status === JobRunStatus.Running || run.status === JobRunStatus.Awaiting;
  const api = `${ctx.base}/api/runs/${run.id}`;
  const actions = ctx.readOnly ? html`` : html`<div class="actions">
${retryable ? html`<form data-action="${api}/retry"><button type="submit" id="retry">Retry</button></form>` : ''}
${cancellable ? html`<form data-action="${api}/cancel"><button type="submit" id="cancel" class="danger">Cancel</button></form>` : ''}
<form data-action="${api}/rerun" data-body="input" class="rerun">
<details><summary>Run again…</summary>
<label>Input (JSON; the same by default)<textarea name="input" rows="6">${run.input === null || run.input === undefined ? '' : JSON.stringify(run.input, null, 2)}</textarea></label>
<button type="submit" id="rerun">Run again</button></details></form>
</div>`;
  const body = html`
<section id="run" data-live data-status="${run.status}">
<dl class="facts">
<dt>Id</dt><dd><code>${run.id}</code></dd>
<dt>Job</dt><dd><a href="${ctx.base}/runs?job=${encodeURIComponent(run.jobTypeId)}">${run.jobTypeId}</a></dd>
<dt>Status</dt><dd id="run-status">${badge(run.status)}</dd>
<dt>Queue</dt><dd>${run.queue}</dd><dt>Priority</dt><dd>${run.priority}</dd>
<dt>Attempts</dt><dd>${run.attemptNumber}${run.maxRetries !== null ? html` (retries allowed: ${run.maxRetries})` : ''}</dd>
<dt>Trigger</dt><dd>${run.triggerType}</dd>
${run.correlationId ? html`<dt>Correlation id</dt><dd><a href="${ctx.base}/runs?correlationId=${encodeURIComponent(run.correlationId)}">${run.correlationId}</a></dd>` : ''}
${run.parentRunId ? html`<dt>Parent</dt><dd><a href="${ctx.base}/runs/${run.parentRunId}"><code>${run.parentRunId}</code></a>${run.continueOn ? html` (on ${run.continueOn})` : ''}</dd>` : ''}
<dt>Worker</dt><dd>${run.workerId ?? ''}</dd>
<dt>Duration</dt><dd>${run.durationMs !== null ? `${run.durationMs} ms` : ''}</dd>
<dt>Progress</dt><dd>${progressBar(run.progress)}</dd>
</dl>
${actions}
<h2>Timeline</h2>
<ol class="timeline">${timelineOf(run, logs).map(([label, at]) => html`<li>${time(at)} ${label}</li>`)}</ol>
<div class="io">
<div><h2>Input</h2><div id="run-input">${json(run.input)}</div></div>
<div><h2>Output</h2><div id="run-output">${json(run.output)}</div></div>
</div>
${run.errorMessage ? html`<h2>Error</h2><div id="run-error" class="error"><p>${run.errorMessage}</p>${run.errorDetails ? html`<pre>${run.errorDetails}</pre>` : ''}</div>` : ''}
${children.length ? html`<h2>Continuations</h2>${runsTable(ctx, children)}` : ''}
<h2>Logs</h2>
${logs.length === 0 ? html`<p class="muted">No log lines.</p>` : logs.map((g) => html`<section class="attempt" data-attempt="${g.attempt ?? ''}">
<h3>${g.attempt === null ? 'Outside an attempt' : `Attempt ${g.attempt}`}</h3>
<table class="logs"><tbody>${g.lines.map((l) => html`<tr class="l-${l.level}"><td>${time(l.timestamp)}</td><td>${l.level}</td><td>${l.category ?? ''}</td><td class="msg">${l.message}${l.exception ? html`<pre>${l.exception}</pre>` : ''}</td></tr>`)}</tbody></table>
</section>`)}
</section>`;
  return layout(ctx, `Run ${shortId(run.id)} · ${run.jobTypeId}`, 'Runs', body);
}
