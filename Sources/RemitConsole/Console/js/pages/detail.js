import { request, hasRole } from '../api.js';
import { h, show, breadcrumbs, formatAmount, formatTime } from '../ui.js';

function decode(base64) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

function describe(event, payload) {
  switch (event.type) {
    case 'RemittanceCreated': return 'created';
    case 'RemittanceCancelled': return `cancelled: ${payload.reason}`;
    case 'RemittanceAmended': return Object.entries(payload).map(([field, value]) => `${field} → ${value === '' ? '(cleared)' : value}`).join(', ');
    default: return event.type;
  }
}

export async function detailPage(id) {
  breadcrumbs(['Home', '#/'], ['Remittances', '#/remittances'], [id.slice(0, 8)]);
  const [{ body: r }, { body: history }] = await Promise.all([
    request('GET', `/api/v1/remittances/${id}`), request('GET', `/api/v1/remittances/${id}/events`),
  ]);
  const rows = [
    ['Id', r.id], ['Status', r.status], ['Version', r.version],
    ['Sender', `${r.senderName}, ${r.senderBank}, account ${r.senderAccount}`],
    ['Receiver', `${r.receiverName}, ${r.receiverBank}, account ${r.receiverAccount}`],
    ['Amount', formatAmount(r.amount, r.currency)], ['Reference', r.reference ?? ''],
    ['Created', formatTime(r.createdAt)], ['Updated', formatTime(r.updatedAt)],
    r.cancellationReason ? ['Cancellation reason', r.cancellationReason] : null,
  ].filter(Boolean);
  const clerk = hasRole('clerk') && r.status !== 'cancelled';
  show(`Remittance ${id.slice(0, 8)}`,
    h('div', { class: 'd-flex align-items-center gap-2 mb-2' },
      h('h1', { class: 'h3 me-auto mb-0' }, `Remittance ${id.slice(0, 8)}`),
      clerk ? h('a', { class: 'btn btn-outline-primary btn-sm', href: `#/remittances/${id}/edit`, id: 'action-update' }, 'Update') : null,
      clerk ? h('a', { class: 'btn btn-outline-danger btn-sm', href: `#/remittances/${id}/cancel`, id: 'action-cancel' }, 'Cancel') : null),
    h('dl', { class: 'row', id: 'remittance-detail' }, rows.map(([label, value]) => [
      h('dt', { class: 'col-sm-3' }, label), h('dd', { class: 'col-sm-9', 'data-field': label }, String(value))])),
    h('h2', { class: 'h5' }, 'History'),
    h('table', { class: 'table table-sm', id: 'history' },
      h('thead', {}, h('tr', {}, ['When', 'Who', 'What', 'Epoch', 'Position', 'Hash'].map((label) => h('th', { scope: 'col' }, label)))),
      h('tbody', {}, history.items.map((event) => {
        const payload = decode(event.payload), metadata = decode(event.metadata);
        return h('tr', {},
          h('td', {}, formatTime(event.recordedAtMicroseconds / 1000)), h('td', {}, metadata.actor),
          h('td', {}, describe(event, payload)), h('td', {}, event.epoch), h('td', {}, event.position),
          h('td', { class: 'hash' }, event.hash));
      }))));
}
