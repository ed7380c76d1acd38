import { chart } from './charts.js';
import { h } from './ui.js';

// The router's last 30 minutes of key figures (GET /router/history, one sample every 5 s),
// drawn as line charts that follow the samples while the page is shown. A page served by a
// node directly has no router behind it: it says so instead.

const colours = ['#0d6efd', '#dc3545', '#198754', '#fd7e14', '#6f42c1'];

async function fetchHistory() {
  try {
    const response = await fetch('/router/history', { headers: { Accept: 'application/json' } });
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

function clock(at) { return new Date(at).toISOString().slice(11, 19); }

function span(seconds) { return seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} minutes`; }

/// `specs`: [{ id, label, series(history) → [{ label, values }] }]. Returns the section and a
/// function that redraws it from a new sample (false once the section left the page).
export function liveCharts(title, specs) {
  const charts = specs.map((spec) => ({ spec, view: chart(spec.id, spec.label, {
    type: 'line', data: { labels: [], datasets: [] },
    options: { scales: { y: { beginAtZero: true } }, elements: { point: { radius: 0 } }, plugins: { legend: { position: 'bottom' } } },
  }, 'col-md-4') }));
  const note = h('p', { class: 'text-body-secondary small', id: 'history-note' });
  const section = h('section', { 'aria-label': title },
    h('h2', { class: 'h5 mt-3' }, title), note, h('div', { class: 'row' }, charts.map((c) => c.view.figure)));
  async function update() {
    if (!document.body.contains(section)) return false;
    const history = await fetchHistory();
    if (!history) {
      note.textContent = 'The router keeps these figures; this page was not served through it.';
      return true;
    }
    note.textContent = history.samples.length === 0
      ? 'The router takes its first sample a few seconds after it starts.'
      : `The router's samples, one every ${history.intervalSeconds} s, over the last ${span(history.samples.length * history.intervalSeconds)}.`;
    const labels = history.samples.map((s) => clock(s.at));
    for (const { spec, view } of charts) {
      const datasets = spec.series(history).map((series, index) => ({
        label: series.label, data: series.values, borderColor: colours[index % colours.length], backgroundColor: colours[index % colours.length], tension: 0,
      }));
      const drawn = view.chart ?? view.draw();
      drawn.data.labels = labels;
      drawn.data.datasets = datasets;
      drawn.update('none');
    }
    return true;
  }
  return { section, update };
}

/// Each region's value of `pick(regionFigures)` in every sample (null where unknown).
export function perRegion(history, pick) {
  const names = [...new Set(history.samples.flatMap((s) => s.regions.map((r) => r.region)))];
  return names.map((name) => ({
    label: name,
    values: history.samples.map((s) => { const r = s.regions.find((x) => x.region === name); return r ? pick(r) : null; }),
  }));
}
