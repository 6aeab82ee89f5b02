import { html, type SafeHtml } from './html.js';

export interface PageContext {
  /** The mount path, e.g. '/zapjobs'. */
  base: string;
  readOnly: boolean;
  refreshMs: number;
}

const NAV: Array<[string, string]> = [['', 'Overview'], ['/runs', 'Runs'], ['/jobs', 'Jobs'], ['/workers', 'Workers']];

/** The frame of every page; `[data-live]` regions are what the refresh script replaces. */
export function layout(ctx: PageContext, title: string, current: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ZapJobs</title>
<link rel="stylesheet" href="${ctx.base}/assets/dashboard.css">
<script src="${ctx.base}/assets/dashboard.js" defer></script>
</head>
<body data-base="${ctx.base}" data-refresh="${ctx.refreshMs}">
<header>
  <a class="brand" href="${ctx.base}">⚡ ZapJobs</a>
  <nav>${NAV.map(([href, label]) => html`<a href="${ctx.base}${href}"${label === current ? html` aria-current="page"` : ''}>${label}</a>`)}</nav>
  ${ctx.readOnly ? html`<span class="badge ro">read-only</span>` : ''}
</header>
<div id="flash" role="status" hidden></div>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>`.text;
}
