/**
 * The dashboard's script: actions sent as JSON to the API (the same requests a script would make,
 * so both pass the same checks), and live regions refreshed by fetching the page again and swapping
 * each `[data-live]` element. No framework: the pages are rendered on the server.
 */
export const DASHBOARD_JS = `
(function () {
  'use strict';
  var body = document.body;
  var flash = document.getElementById('flash');
  function say(text, bad) {
    flash.textContent = text;
    flash.className = bad ? 'bad' : '';
    flash.hidden = false;
    clearTimeout(say.t);
    say.t = setTimeout(function () { flash.hidden = true; }, bad ? 8000 : 3000);
  }
  function payload(form) {
    var kind = form.getAttribute('data-body');
    if (kind === 'fields') {
      var out = {};
      new FormData(form).forEach(function (v, k) { out[k] = v; });
      return out;
    }
    if (kind === 'input') {
      var text = (form.elements.namedItem('input') || {}).value || '';
      if (!text.trim()) return {};
      return { input: JSON.parse(text) };
    }
    return {};
  }
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var url = form.getAttribute('data-action');
    if (!url) return;
    event.preventDefault();
    var data;
    try { data = payload(form); } catch (e) { say('Input is not valid JSON: ' + e.message, true); return; }
    var buttons = form.querySelectorAll('button');
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(data), credentials: 'same-origin' })
      .then(function (res) { return res.json().catch(function () { return {}; }).then(function (json) { return { res: res, json: json }; }); })
      .then(function (r) {
        buttons.forEach(function (b) { b.disabled = false; });
        if (!r.res.ok) {
          var m = r.json && r.json.message;
          say((Array.isArray(m) ? m.join('; ') : m) || ('HTTP ' + r.res.status), true);
          return;
        }
        if (r.json && r.json.runId) { location.href = body.getAttribute('data-base') + '/runs/' + encodeURIComponent(r.json.runId); return; }
        if (r.json && r.json.action) { sessionStorage.setItem('zapjobs-flash', r.json.action + ': ' + r.json.done + ' done, ' + r.json.skipped + ' skipped'); }
        var then = form.getAttribute('data-then');
        if (then) location.href = then; else refresh(true);
      })
      .catch(function (e) { buttons.forEach(function (b) { b.disabled = false; }); say(String(e), true); });
  });
  var left = sessionStorage.getItem('zapjobs-flash');
  if (left) { sessionStorage.removeItem('zapjobs-flash'); say(left, false); }
  function busy(region) {
    var active = document.activeElement;
    return (active && region.contains(active) && /INPUT|TEXTAREA|SELECT/.test(active.tagName)) || region.querySelector('details[open]');
  }
  var inFlight = false;
  function refresh(force) {
    if (inFlight || (!force && document.hidden)) return;
    var regions = document.querySelectorAll('[data-live][id]');
    if (!regions.length) return;
    inFlight = true;
    fetch(location.href, { headers: { Accept: 'text/html' }, credentials: 'same-origin' })
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (text) {
        inFlight = false;
        if (!text) return;
        var doc = new DOMParser().parseFromString(text, 'text/html');
        regions.forEach(function (region) {
          var fresh = doc.getElementById(region.id);
          if (fresh && (force || !busy(region))) region.replaceWith(document.importNode(fresh, true));
        });
        body.setAttribute('data-refreshed', String(Date.now()));
      })
      .catch(function () { inFlight = false; });
  }
  var every = Number(body.getAttribute('data-refresh'));
  if (every > 0) setInterval(refresh, every);
})();
`;
