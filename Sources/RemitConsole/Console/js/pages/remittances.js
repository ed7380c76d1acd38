import { request, hasRole } from '../api.js';
import { h, show, breadcrumbs, notify, formatAmount, formatTime } from '../ui.js';

// Every column the table can show, and which are shown unless the preferences say otherwise.
const columns = [
  ['id', 'Id', (r) => r.id.slice(0, 8)],
  ['status', 'Status', (r) => r.status],
  ['senderName', 'Sender', (r) => r.senderName],
  ['senderBank', 'Sender bank', (r) => r.senderBank],
  ['receiverName', 'Receiver', (r) => r.receiverName],
  ['receiverBank', 'Receiver bank', (r) => r.receiverBank],
  ['amount', 'Amount', (r) => formatAmount(r.amount, r.currency)],
  ['reference', 'Reference', (r) => r.reference ?? ''],
  ['createdAt', 'Created', (r) => formatTime(r.createdAt)],
];
const shownByDefault = ['id', 'status', 'senderName', 'receiverName', 'amount', 'createdAt'];
const preferencesKey = 'remit.preferences.remittances';

function preferences() {
  const stored = JSON.parse(localStorage.getItem(preferencesKey) ?? '{}');
  return { pageSize: stored.pageSize ?? 10, columns: stored.columns ?? shownByDefault, wrap: stored.wrap ?? false };
}
function savePreferences(value) { localStorage.setItem(preferencesKey, JSON.stringify(value)); }

export async function remittancesPage(query) {
  breadcrumbs(['Home', '#/'], ['Remittances']);
  const prefs = preferences();
  const state = { q: query.get('q') ?? '', conditions: [], join: 'and', sort: 'createdAt', order: 'desc', cursors: [null], selected: null };

  const table = h('table', { class: `table table-sm table-hover table-remittances${prefs.wrap ? ' wrap' : ''}`, id: 'remittances-table' });
  const counter = h('span', { class: 'text-body-secondary', id: 'match-counter', 'aria-live': 'polite' });
  const previous = h('button', { class: 'btn btn-outline-secondary btn-sm', type: 'button', id: 'page-previous' }, 'Previous');
  const next = h('button', { class: 'btn btn-outline-secondary btn-sm', type: 'button', id: 'page-next' }, 'Next');
  const view = h('button', { class: 'btn btn-outline-primary btn-sm', type: 'button', id: 'action-view', disabled: true }, 'View');
  const update = h('button', { class: 'btn btn-outline-primary btn-sm', type: 'button', id: 'action-update', disabled: true }, 'Update');
  const cancel = h('button', { class: 'btn btn-outline-danger btn-sm', type: 'button', id: 'action-cancel', disabled: true }, 'Cancel');
  const create = h('a', { class: 'btn btn-primary btn-sm', href: '#/remittances/new', id: 'action-create' }, 'Create');
  const clerk = hasRole('clerk');

  // The property filter: conditions on any field, all or any of them.
  const chips = h('div', { class: 'd-flex flex-wrap gap-1 align-items-center', id: 'filter-chips', 'aria-live': 'polite' });
  const property = h('form', { class: 'row g-2 align-items-end mb-2', id: 'property-filter', 'aria-label': 'Property filter' },
    h('div', { class: 'col-auto' },
      h('label', { class: 'form-label', for: 'filter-field' }, 'Property'),
      h('select', { class: 'form-select form-select-sm', id: 'filter-field' },
        columns.filter(([key]) => key !== 'createdAt').map(([key, label]) => h('option', { value: key }, label)))),
    h('div', { class: 'col-auto' },
      h('label', { class: 'form-label', for: 'filter-operator' }, 'Operator'),
      h('select', { class: 'form-select form-select-sm', id: 'filter-operator' },
        [[':', 'contains'], ['!:', 'does not contain'], ['=', 'equals'], ['!=', 'does not equal']].map(([op, label]) => h('option', { value: op }, label)))),
    h('div', { class: 'col-auto' },
      h('label', { class: 'form-label', for: 'filter-value' }, 'Value'),
      h('input', { class: 'form-control form-control-sm', id: 'filter-value', maxlength: 100 })),
    h('div', { class: 'col-auto' }, h('button', { class: 'btn btn-secondary btn-sm', type: 'submit', id: 'filter-add' }, 'Add condition')),
    h('div', { class: 'col-auto' },
      h('label', { class: 'form-label', for: 'filter-join' }, 'Match'),
      h('select', { class: 'form-select form-select-sm', id: 'filter-join' },
        h('option', { value: 'and' }, 'all conditions (and)'), h('option', { value: 'or' }, 'any condition (or)'))),
    h('div', { class: 'col-12' }, chips));
  const filterProblem = h('div', { class: 'invalid-feedback d-block', id: 'filter-problem', 'aria-live': 'polite' });

  function drawChips() {
    chips.replaceChildren(...state.conditions.map((condition, index) => h('span', { class: 'badge text-bg-primary d-inline-flex align-items-center gap-1' },
      condition, h('button', { type: 'button', class: 'btn-close btn-close-white', 'aria-label': `Remove ${condition}`,
        onclick: () => { state.conditions.splice(index, 1); drawChips(); restart(); } }))),
      state.conditions.length ? h('button', { type: 'button', class: 'btn btn-link btn-sm', id: 'filter-clear',
        onclick: () => { state.conditions = []; drawChips(); restart(); } }, 'Clear filter') : '');
  }
  property.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = property.querySelector('#filter-value').value;
    if (!value) { property.querySelector('#filter-value').focus(); return; }
    state.conditions.push(`${property.querySelector('#filter-field').value}${property.querySelector('#filter-operator').value}${value}`);
    property.querySelector('#filter-value').value = '';
    drawChips();
    restart();
  });
  property.querySelector('#filter-join').addEventListener('change', (event) => { state.join = event.target.value; restart(); });
  function restart() { state.cursors = [null]; load(); }

  const filters = h('form', { class: 'row g-2 align-items-end mb-2', role: 'search', id: 'filters' },
    h('div', { class: 'col-auto' },
      h('label', { class: 'form-label', for: 'filter-q' }, 'Quick search: names, banks, reference'),
      h('input', { class: 'form-control form-control-sm', id: 'filter-q', name: 'q', value: state.q, maxlength: 100 })),
    h('div', { class: 'col-auto' }, h('button', { class: 'btn btn-secondary btn-sm', type: 'submit' }, 'Filter')),
    h('div', { class: 'col-auto ms-auto' },
      h('label', { class: 'form-label', for: 'page-size' }, 'Page size'),
      h('select', { class: 'form-select form-select-sm', id: 'page-size' },
        [10, 30, 50].map((n) => h('option', { value: n, selected: n === prefs.pageSize }, n)))),
    h('div', { class: 'col-auto' },
      h('div', { class: 'form-check' },
        h('input', { class: 'form-check-input', type: 'checkbox', id: 'wrap-lines', checked: prefs.wrap }),
        h('label', { class: 'form-check-label', for: 'wrap-lines' }, 'Wrap lines'))),
    h('details', { class: 'col-auto' }, h('summary', {}, 'Columns'),
      columns.map(([key, label]) => h('div', { class: 'form-check' },
        h('input', { class: 'form-check-input', type: 'checkbox', id: `column-${key}`, 'data-column': key, checked: prefs.columns.includes(key) }),
        h('label', { class: 'form-check-label', for: `column-${key}` }, label)))));

  function select(remittance, row) {
    state.selected = remittance;
    for (const other of table.querySelectorAll('tr.table-active')) { other.classList.remove('table-active'); other.setAttribute('aria-selected', 'false'); }
    row.classList.add('table-active');
    row.setAttribute('aria-selected', 'true');
    view.disabled = false;
    update.disabled = !clerk || remittance.status === 'cancelled';
    cancel.disabled = !clerk || remittance.status === 'cancelled';
  }

  async function load() {
    const parameters = new URLSearchParams({ limit: String(prefs.pageSize), sort: state.sort, order: state.order, count: 'true' });
    if (state.q) parameters.set('q', state.q);
    for (const condition of state.conditions) parameters.append('filter', condition);
    if (state.conditions.length > 1) parameters.set('join', state.join);
    const cursor = state.cursors[state.cursors.length - 1];
    if (cursor) parameters.set('cursor', cursor);
    let page;
    try {
      // %20 for a space: the API reads "+" as a plus sign (RFC 3986), not as form encoding's space.
      page = (await request('GET', `/api/v1/remittances?${parameters.toString().replaceAll('+', '%20')}`)).body;
      filterProblem.textContent = '';
    } catch (failure) {
      if (failure.status === 400) { filterProblem.textContent = failure.message; return; }
      table.replaceChildren(h('caption', {}, failure.status === 403 ? 'Your roles do not include reading remittances.' : failure.message));
      return;
    }
    state.selected = null;
    view.disabled = update.disabled = cancel.disabled = true;
    const shown = columns.filter(([key]) => prefs.columns.includes(key));
    const filtered = Boolean(state.q || state.conditions.length);
    const body = h('tbody', {}, page.items.map((remittance) => {
      const row = h('tr', { tabindex: 0, 'aria-selected': 'false', 'data-id': remittance.id },
        shown.map(([, , cell]) => h('td', {}, cell(remittance))));
      row.addEventListener('click', () => select(remittance, row));
      row.addEventListener('dblclick', () => { window.location.hash = `#/remittances/${remittance.id}`; });
      row.addEventListener('keydown', (event) => {
        if (event.key === ' ') { event.preventDefault(); select(remittance, row); }
        if (event.key === 'Enter') window.location.hash = `#/remittances/${remittance.id}`;
      });
      return row;
    }));
    table.replaceChildren(
      h('thead', {}, h('tr', {}, shown.map(([key, label]) => {
        const sorted = state.sort === key;
        return h('th', { scope: 'col', 'aria-sort': sorted ? (state.order === 'asc' ? 'ascending' : 'descending') : 'none' },
          h('button', { type: 'button', class: 'btn btn-link btn-sm p-0 text-reset fw-bold text-decoration-none', id: `sort-${key}`,
            onclick: () => {
              state.order = sorted && state.order === 'asc' ? 'desc' : sorted ? 'asc' : (key === 'createdAt' ? 'desc' : 'asc');
              state.sort = key;
              restart();
            } }, label, sorted ? (state.order === 'asc' ? ' ▲' : ' ▼') : ''));
      }))),
      page.items.length ? body : h('tbody', {}, h('tr', {}, h('td', { colspan: shown.length, class: 'text-center py-4', id: 'empty-state' },
        filtered ? 'No remittance matches these filters.' : 'No remittances yet.'))));
    const pageNumber = state.cursors.length;
    const total = page.totalCapped ? `${page.total.toLocaleString('en')}+` : String(page.total);
    counter.textContent = `${total} match${page.total === 1 && !page.totalCapped ? '' : 'es'}; page ${pageNumber}`;
    previous.disabled = pageNumber === 1;
    next.disabled = !page.nextCursor;
    next.onclick = () => { state.cursors.push(page.nextCursor); load(); };
  }

  previous.addEventListener('click', () => { state.cursors.pop(); load(); });
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    state.q = filters.q.value.trim();
    restart();
  });
  filters.querySelector('#page-size').addEventListener('change', (event) => {
    prefs.pageSize = Number(event.target.value); savePreferences(prefs); state.cursors = [null]; load();
  });
  filters.querySelector('#wrap-lines').addEventListener('change', (event) => {
    prefs.wrap = event.target.checked; savePreferences(prefs); table.classList.toggle('wrap', prefs.wrap);
  });
  for (const box of filters.querySelectorAll('[data-column]')) {
    box.addEventListener('change', () => {
      prefs.columns = [...filters.querySelectorAll('[data-column]:checked')].map((b) => b.dataset.column);
      savePreferences(prefs); load();
    });
  }
  view.addEventListener('click', () => { window.location.hash = `#/remittances/${state.selected.id}`; });
  update.addEventListener('click', () => { window.location.hash = `#/remittances/${state.selected.id}/edit`; });
  cancel.addEventListener('click', () => { window.location.hash = `#/remittances/${state.selected.id}/cancel`; });

  show('Remittances',
    h('div', { class: 'd-flex align-items-center gap-2 mb-2' },
      h('h1', { class: 'h3 me-auto mb-0' }, 'Remittances'), view, update, cancel, clerk ? create : null),
    clerk ? null : h('p', { class: 'text-body-secondary small' }, 'Creating, updating and cancelling need the clerk role.'),
    property, filterProblem, filters, table,
    h('div', { class: 'd-flex align-items-center gap-2' }, previous, next, counter));
  await load();
  if (query.get('created')) notify(`Remittance ${query.get('created').slice(0, 8)} created.`);
}
