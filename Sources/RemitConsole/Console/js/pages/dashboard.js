import { request } from '../api.js';
import { chart } from '../charts.js';
import { liveCharts } from '../history.js';
import { h, show, breadcrumbs, formatAmount } from '../ui.js';

// The service as the router saw it: requests, errors, latency, appends.
function serviceCharts() {
  const perSecond = (history, count) => history.samples.map((s) => count(s) / history.intervalSeconds);
  return liveCharts('The last 30 minutes (the router\'s samples)', [
    { id: 'chart-live-requests', label: 'API requests per second, and 5xx',
      series: (history) => [{ label: 'requests', values: perSecond(history, (s) => s.requests) }, { label: '5xx', values: perSecond(history, (s) => s.serverErrors) }] },
    { id: 'chart-live-latency', label: 'p99 API latency (ms)',
      series: (history) => [{ label: 'p99', values: history.samples.map((s) => s.p99Milliseconds ?? null) }] },
    { id: 'chart-live-events', label: 'Events appended per second (the writer)',
      series: (history) => [{ label: 'events/s', values: history.samples.map((s) => s.eventsPerSecond ?? null) }] },
  ]);
}

export async function dashboardPage() {
  breadcrumbs(['Home', '#/'], ['Dashboard']);
  const { body: d } = await request('GET', '/api/v1/dashboard');
  const statuses = Object.keys(d.countsByStatus).sort();
  const byStatus = chart('chart-status', 'Remittances by status', {
    type: 'bar',
    data: { labels: statuses, datasets: [{ label: 'remittances', data: statuses.map((s) => d.countsByStatus[s]), backgroundColor: '#0d6efd' }] },
    options: { plugins: { legend: { display: false } } },
  });
  const perMinute = chart('chart-minutes', 'Creates per minute (the last 60 minutes with any)', {
    type: 'line',
    data: {
      labels: d.createdPerMinute.map((m) => new Date(m.minute).toISOString().slice(11, 16)),
      datasets: [{ label: 'created', data: d.createdPerMinute.map((m) => m.created), tension: 0.2, borderColor: '#198754', backgroundColor: '#198754' }],
    },
    options: { plugins: { legend: { display: false } } },
  });
  const live = serviceCharts();
  show('Dashboard',
    h('h1', { class: 'h3' }, 'Dashboard'),
    h('div', { class: 'row' }, byStatus.figure, perMinute.figure),
    live.section,
    h('div', { class: 'row' },
      h('div', { class: 'col-md-6' }, h('h2', { class: 'h6' }, 'Amounts by currency (cancelled ones not counted)'),
        h('table', { class: 'table table-sm', id: 'dashboard-currencies' },
          h('thead', {}, h('tr', {}, ['Currency', 'Remittances', 'Amount'].map((l) => h('th', { scope: 'col' }, l)))),
          h('tbody', {}, d.currencies.map((c) => h('tr', {}, h('td', {}, c.currency), h('td', {}, c.count), h('td', {}, formatAmount(c.amount, c.currency))))))),
      h('div', { class: 'col-md-6' }, h('h2', { class: 'h6' }, 'Corridors'),
        h('table', { class: 'table table-sm', id: 'dashboard-corridors' },
          h('thead', {}, h('tr', {}, ['From', 'To', 'Remittances', 'Amount'].map((l) => h('th', { scope: 'col' }, l)))),
          h('tbody', {}, d.corridors.map((c) => h('tr', {}, h('td', {}, c.senderBank), h('td', {}, c.receiverBank), h('td', {}, c.count),
            h('td', {}, formatAmount(c.amount, c.currency)))))))));
  byStatus.draw();
  perMinute.draw();
  await live.update();
  const timer = setInterval(async () => { if (!(await live.update())) clearInterval(timer); }, 5000);
}
