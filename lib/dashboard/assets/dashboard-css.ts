/** The dashboard's stylesheet, shipped as a module so that the build copies nothing beside tsc's output. */
export const DASHBOARD_CSS = `
:root{--bg:#f7f8fa;--fg:#1d2330;--muted:#6b7383;--line:#dde1e8;--card:#fff;--ok:#1f9d55;--bad:#d64545;--run:#2f6fdb;--wait:#b7791f;--off:#8a8f99}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:var(--bg);color:var(--fg)}
header{display:flex;gap:1.5rem;align-items:center;padding:.6rem 1.2rem;background:#1d2330;color:#fff}
header a{color:#cfd6e4;text-decoration:none}header a[aria-current]{color:#fff;font-weight:600;border-bottom:2px solid #fff}
header nav{display:flex;gap:1rem}.brand{font-weight:700;color:#fff!important}
main{padding:1rem 1.2rem;max-width:1400px}h1{font-size:1.4rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:1.4rem 0 .5rem}h3{font-size:1rem}
a{color:var(--run)}code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}.muted{color:var(--muted)}
table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line)}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}th{background:#eef1f5;font-weight:600}
.cards{display:flex;flex-wrap:wrap;gap:.7rem}.card{display:flex;flex-direction:column;min-width:110px;padding:.6rem .9rem;background:var(--card);border:1px solid var(--line);border-radius:6px;text-decoration:none;color:var(--fg)}
.card .n{font-size:1.6rem;font-weight:700}
.badge{display:inline-block;padding:0 .45rem;border-radius:9px;font-size:12px;background:#e4e7ec;color:var(--fg)}
.s-completed .n,.badge.s-completed{color:var(--ok)}.badge.s-completed{background:#dff3e7}
.s-failed .n,.badge.s-failed{color:var(--bad)}.badge.s-failed{background:#fbe3e3}
.s-running .n,.badge.s-running{color:var(--run)}.badge.s-running{background:#e1ebfb}
.s-pending .n,.badge.s-pending,.s-awaiting .n,.badge.s-awaiting{color:var(--wait)}.badge.s-pending,.badge.s-awaiting{background:#fbf0db}
.badge.s-cancelled{color:var(--off)}.badge.ro{background:#fbf0db;color:var(--wait)}
.alert{margin:.8rem 0;padding:.6rem .8rem;border:1px solid #f1b0b0;background:#fdf0f0;border-radius:6px}
.chart{margin:0 0 1rem;background:var(--card);border:1px solid var(--line);padding:.5rem;border-radius:6px}
.chart svg{width:100%;height:160px}.chart rect.c,.legend.c{fill:var(--ok);background:var(--ok)}.chart rect.f,.legend.f{fill:var(--bad);background:var(--bad)}
.chart text{font-size:10px;fill:var(--muted)}.chart .axis{stroke:var(--line)}.legend{display:inline-block;width:10px;height:10px}
.filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:flex-end;margin-bottom:.8rem}.filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted)}
.filters .grow{flex:1;min-width:200px}input,select,textarea{font:inherit;padding:.25rem .4rem;border:1px solid var(--line);border-radius:4px;background:#fff}
textarea{width:100%;font:12px ui-monospace,monospace}
button,.button{font:inherit;padding:.3rem .8rem;border:1px solid var(--run);background:var(--run);color:#fff;border-radius:4px;cursor:pointer;text-decoration:none;display:inline-block}
button.danger,.button.danger{background:var(--bad);border-color:var(--bad)}button:disabled{opacity:.5;cursor:default}
.switch.off{background:var(--off);border-color:var(--off)}.switch.on{background:var(--ok);border-color:var(--ok)}
.bulk{margin:.5rem 0 1rem}.actions{display:flex;gap:.6rem;align-items:flex-start;margin:1rem 0}.actions form{margin:0}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;background:var(--card);border:1px solid var(--line);padding:.8rem;border-radius:6px}
.facts dt{color:var(--muted)}.facts dd{margin:0}.io{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
pre{white-space:pre-wrap;word-break:break-word;background:#fff;border:1px solid var(--line);padding:.5rem;border-radius:4px;margin:0;font:12px ui-monospace,monospace}
.error{color:var(--bad)}.logs td.msg{white-space:pre-wrap}.l-error td{color:var(--bad)}.l-warn td{color:var(--wait)}.l-debug td{color:var(--muted)}
.progress{display:inline-block;width:200px;height:10px;background:#e4e7ec;border-radius:5px;overflow:hidden;vertical-align:middle}.progress span{display:block;height:100%;background:var(--run)}
.timeline{margin:0;padding-left:1.2rem}tr.stale td{color:var(--muted)}
#flash{position:fixed;right:1rem;top:3.4rem;padding:.6rem .9rem;border-radius:6px;background:#1d2330;color:#fff;max-width:40rem}#flash.bad{background:var(--bad)}
.confirm{background:var(--card);border:1px solid var(--line);padding:1rem;border-radius:6px;max-width:40rem}
`;
