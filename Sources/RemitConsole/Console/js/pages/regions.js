import { request, hasRole } from '../api.js';
import { liveCharts, perRegion } from '../history.js';
import { h, show, breadcrumbs, notify, formatTime } from '../ui.js';

// The operator's page: every region at a glance, failover and failback with their steps as they
// happen, and the runbook executions. Refreshed every two seconds while shown.

function regionRow(view, writer, operator, start) {
  const lease = view.leaseMillisecondsLeft === null || view.leaseMillisecondsLeft === undefined ? '—' : `${(view.leaseMillisecondsLeft / 1000).toFixed(1)} s`;
  const canTarget = operator && view.reachable && view.role !== 'writer';
  return h('tr', { 'data-region': view.region },
    h('th', { scope: 'row' }, view.region),
    h('td', {}, view.reachable ? 'answers' : `does not answer${view.reason ? `: ${view.reason}` : ''}`),
    h('td', { 'data-role': view.region }, view.role ?? '—'), h('td', {}, view.epoch ?? '—'), h('td', {}, view.headPosition ?? '—'),
    h('td', {}, view.lagEvents ?? '—'), h('td', {}, lease),
    h('td', {}, canTarget ? [
      h('button', { class: 'btn btn-sm btn-primary me-1', type: 'button', id: `failover-${view.region}`, onclick: () => start(view.region, false) },
        writer ? `Fail over ${writer} → ${view.region}` : `Fail over to ${view.region}`),
      h('button', { class: 'btn btn-sm btn-outline-danger', type: 'button', id: `force-${view.region}`, onclick: () => start(view.region, true) },
        'Forced…'),
    ] : null));
}

function stepsList(execution) {
  return h('ol', { class: 'list-group list-group-numbered', id: `steps-${execution.id}` },
    execution.steps.map((step) => h('li', { class: `list-group-item d-flex gap-2 ${step.outcome === 'succeeded' ? '' : 'list-group-item-danger'}` },
      h('strong', {}, step.name), h('span', { class: 'badge text-bg-light' }, step.outcome),
      h('span', { class: 'text-body-secondary' }, `${step.milliseconds.toFixed(1)} ms`), h('span', {}, step.detail))));
}

export async function regionsPage() {
  breadcrumbs(['Home', '#/'], ['Regions']);
  const operator = hasRole('operator');
  const routing = h('p', { id: 'routing-record' });
  const advice = h('div', { id: 'advice', 'aria-live': 'polite' });
  const body = h('tbody', {});
  const confirmArea = h('div', { id: 'confirm-area' });
  const running = h('div', { id: 'running-execution', 'aria-live': 'polite' });
  const executions = h('div', { id: 'executions' });
  const quarantine = h('div', { id: 'quarantine' });
  let writer = null, views = [], busy = false;

  async function refresh() {
    if (!document.body.contains(body)) return false;
    try {
      const { body: regions } = await request('GET', '/api/v1/regions');
      views = regions.regions;
      writer = views.find((v) => v.role === 'writer' && v.reachable)?.region ?? null;
      const record = regions.routing;
      routing.textContent = record
        ? `Routing record: ${record.activeRegion} ${record.state} at epoch ${record.epoch} (revision ${record.revision}).`
        : 'No region holds a routing record.';
      body.replaceChildren(...views.map((view) => regionRow(view, writer, operator && !busy, confirm)));
      drawAdvice(regions);
      const { body: list } = await request('GET', '/api/v1/admin/runbooks?limit=5');
      executions.replaceChildren(...list.items.map((execution) => h('details', { class: 'mb-2', open: execution.state === 'running' },
        h('summary', {}, `${formatTime(execution.startedAt)} — ${execution.kind} ${execution.sourceRegion} → ${execution.targetRegion}: `,
          h('strong', { 'data-state': execution.id }, execution.state), ` (by ${execution.requestedBy})`),
        stepsList(execution))));
      const { body: held } = await request('GET', '/api/v1/admin/quarantine');
      drawQuarantine(held.items);
    } catch (failure) {
      routing.textContent = failure.message;
    }
    return true;
  }

  // The router's alarms: "failover advised" when the writer is gone and another region
  // answers, else the alarms that are pending or firing.
  function drawAdvice(regions) {
    const alarms = regions.alarms ?? [];
    const list = alarms.length ? h('ul', { class: 'mb-0' }, alarms.map((a) => h('li', { 'data-alarm': a.name },
      h('strong', {}, a.name), ` ${a.state}`, a.detail ? `: ${a.detail}` : ''))) : null;
    if (regions.failoverAdvised) {
      advice.replaceChildren(h('div', { class: 'alert alert-danger', role: 'alert', id: 'failover-advised' },
        h('strong', {}, 'Failover advised. '), (regions.advice ?? []).join('; '), list));
    } else if (alarms.length) {
      advice.replaceChildren(h('div', { class: 'alert alert-warning', role: 'status', id: 'alarms' }, h('strong', {}, 'Alarms'), list));
    } else {
      advice.replaceChildren(h('p', { class: 'text-body-secondary small', id: 'no-alarms' },
        regions.failoverAdvised === undefined || regions.failoverAdvised === null ? 'The router\'s alarms are not known here.' : 'No alarm.'));
    }
    const auto = regions.autoFailover;
    if (regions.failoverAdvised !== undefined && regions.failoverAdvised !== null) {
      advice.append(h('p', { class: 'small mb-2', id: 'auto-failover', 'data-state': auto?.state ?? 'off' },
        h('strong', {}, 'Automatic failover: '), auto ? `${auto.state}: ${auto.detail}` : 'off (failover is the operator\'s decision).'));
    }
    const changes = regions.alarmChanges ?? [];
    if (changes.length) {
      advice.append(h('details', { class: 'small mb-2', id: 'alarm-changes' },
        h('summary', {}, `Latest alarm changes (${changes.length}; each is in the audit trail)`),
        h('ul', { class: 'mb-0' }, changes.map((c) => h('li', { 'data-change': `${c.name} ${c.state}` },
          `${formatTime(c.at)} — `, h('strong', {}, c.name), c.state === 'firing' ? ' fired' : ' resolved', c.detail ? `: ${c.detail}` : '')))));
    }
  }

  // What forced failovers cut off: each item once resubmitted (appended again at the writer)
  // or dismissed with a reason.
  function drawQuarantine(items) {
    if (quarantine.contains(document.activeElement) && document.activeElement.tagName === 'INPUT') return;
    quarantine.replaceChildren(items.length === 0
      ? h('p', { class: 'text-body-secondary', id: 'quarantine-empty' }, 'Nothing is in quarantine.')
      : h('table', { class: 'table table-sm', id: 'quarantine-table' },
        h('thead', {}, h('tr', {}, ['Held by', 'Item', 'What', 'Cut off after', 'Decision', ''].map((l) => h('th', { scope: 'col' }, l)))),
        h('tbody', {}, items.map((item) => {
          const what = item.summary ?? (item.created
            ? `${item.created.amount} ${item.created.currency} ${item.created.senderBank} → ${item.created.receiverBank}`
            : `changes to an earlier remittance (${item.eventTypes.join(', ')})`);
          const reason = h('input', { class: 'form-control form-control-sm d-inline-block w-auto', 'aria-label': `Why dismiss ${item.id}`, placeholder: 'why dismiss' });
          const act = async (path, body) => {
            try {
              await request('POST', `/api/v1/admin/quarantine/${item.id}/${path}`, body);
              notify(`${item.id.slice(0, 8)} ${path === 'resubmit' ? 'resubmitted' : 'dismissed'}.`);
            } catch (failure) {
              notify(failure.message, 'failure');
            }
            refresh();
          };
          return h('tr', { 'data-item': item.id },
            h('td', {}, item.region), h('td', {}, item.id.slice(0, 8)), h('td', {}, what),
            h('td', {}, `epoch ${item.epoch}, position ${item.forkPosition}`),
            h('td', {}, item.decision ? `${item.decision} by ${item.decidedBy}: ${item.reason}` : 'undecided'),
            h('td', {}, operator && !item.decision ? [
              h('button', { class: 'btn btn-sm btn-outline-primary me-1', type: 'button', onclick: () => act('resubmit') }, 'Resubmit'),
              reason,
              h('button', { class: 'btn btn-sm btn-outline-secondary ms-1', type: 'button',
                onclick: () => (reason.value.trim() ? act('dismiss', { reason: reason.value.trim() }) : reason.focus()) }, 'Dismiss'),
            ] : null));
        }))));
  }

  function confirm(target, force) {
    const source = writer ?? 'the old writer';
    const lag = views.find((v) => v.region === target)?.lagEvents;
    const yes = h('button', { class: `btn btn-sm ${force ? 'btn-danger' : 'btn-primary'} me-2`, type: 'button', id: 'confirm-failover' },
      force ? 'Continue' : `Yes, move the writer ${source} → ${target}`);
    const no = h('button', { class: 'btn btn-sm btn-secondary', type: 'button', onclick: () => confirmArea.replaceChildren() }, 'No');
    confirmArea.replaceChildren(h('div', { class: `alert ${force ? 'alert-danger' : 'alert-warning'}`, role: 'alertdialog', 'aria-labelledby': 'confirm-text' },
      h('p', { id: 'confirm-text' }, force
        ? `Forced failover ${source} → ${target}: ${target} is promoted without waiting for ${source}.`
        : `Planned failover ${source} → ${target}: writes pause while ${target} catches up, then ${target} becomes the writer. Nothing acknowledged is lost.`),
      yes, no));
    yes.focus();
    yes.addEventListener('click', () => {
      if (!force) { run(target, false); return; }
      // The second confirmation states the loss window.
      const accept = h('input', { class: 'form-check-input', type: 'checkbox', id: 'accept-data-loss' });
      const go = h('button', { class: 'btn btn-sm btn-danger me-2', type: 'button', id: 'confirm-forced', disabled: true }, `Force ${target} to be the writer`);
      accept.addEventListener('change', () => { go.disabled = !accept.checked; });
      go.addEventListener('click', () => run(target, true));
      confirmArea.replaceChildren(h('div', { class: 'alert alert-danger', role: 'alertdialog', 'aria-labelledby': 'loss-window' },
        h('p', { id: 'loss-window' }, `Loss window: what ${source} acknowledged and ${target} has not received`
          + `${lag !== undefined && lag !== null ? ` (${target} was ${lag} events behind at the last look)` : ''}`
          + ' is cut off and goes to quarantine when the old writer rejoins, until an operator reconciles it.'),
        h('div', { class: 'form-check mb-2' }, accept, h('label', { class: 'form-check-label', for: 'accept-data-loss' }, 'I accept that loss')),
        go, h('button', { class: 'btn btn-sm btn-secondary', type: 'button', onclick: () => confirmArea.replaceChildren() }, 'Cancel')));
      accept.focus();
    });
  }

  async function run(target, force) {
    confirmArea.replaceChildren();
    busy = true;
    running.replaceChildren(h('div', { class: 'alert alert-info', role: 'status' }, `Failing over to ${target}…`));
    // The request answers when the runbook ended; meanwhile its steps show as they end.
    const watcher = setInterval(async () => {
      try {
        const { body: list } = await request('GET', '/api/v1/admin/runbooks?limit=1');
        const execution = list.items[0];
        if (execution?.targetRegion === target) {
          running.replaceChildren(h('div', { class: 'alert alert-info', role: 'status' },
            `${execution.kind} ${execution.sourceRegion} → ${execution.targetRegion}: ${execution.state}`), stepsList(execution));
        }
      } catch { /* the next look will tell */ }
    }, 300);
    try {
      const { body: outcome } = await request('POST', '/api/v1/admin/failover', force ? { target, force: true, acceptDataLoss: true } : { target });
      const { body: execution } = await request('GET', `/api/v1/admin/runbooks/${outcome.execution}`);
      running.replaceChildren(h('div', { class: 'alert alert-success', role: 'status', id: 'failover-done' },
        `${outcome.source} → ${outcome.target}: ${target} is the writer at epoch ${outcome.epoch}.`), stepsList(execution));
      notify(`Failover to ${target} succeeded.`);
    } catch (failure) {
      running.replaceChildren(h('div', { class: 'alert alert-danger', role: 'alert', id: 'failover-failed' }, failure.message));
      notify(`Failover to ${target} failed: ${failure.message}`, 'failure');
    } finally {
      clearInterval(watcher);
      busy = false;
      refresh();
    }
  }

  const live = liveCharts('The last 30 minutes (the router\'s samples)', [
    { id: 'chart-live-lag', label: 'Replication lag (events behind the writer)', series: (history) => perRegion(history, (r) => r.lagEvents ?? null) },
    { id: 'chart-live-lease', label: 'Write lease left (s)', series: (history) => perRegion(history, (r) => (r.leaseMillisecondsLeft ?? null) === null ? null : r.leaseMillisecondsLeft / 1000) },
    { id: 'chart-live-ready', label: 'Answers its readiness check (1) or not (0)', series: (history) => perRegion(history, (r) => (r.ready ? 1 : 0)) },
  ]);
  show('Regions',
    h('h1', { class: 'h3' }, 'Regions'), routing, advice,
    operator ? null : h('p', { class: 'text-body-secondary small' }, 'Failing over needs the operator role.'),
    h('table', { class: 'table table-sm', id: 'regions-table' },
      h('thead', {}, h('tr', {}, ['Region', 'Answers', 'Role', 'Epoch', 'Head', 'Lag (events)', 'Lease left', ''].map((label) => h('th', { scope: 'col' }, label)))),
      body),
    confirmArea, running, live.section,
    h('h2', { class: 'h5 mt-4' }, 'Reconcile'), quarantine,
    h('h2', { class: 'h5 mt-4' }, 'Runbook executions'), executions);
  await refresh();
  await live.update();
  const timer = setInterval(async () => { if (!(await refresh())) clearInterval(timer); }, 2000);
  const charts = setInterval(async () => { if (!(await live.update())) clearInterval(charts); }, 5000);
}
