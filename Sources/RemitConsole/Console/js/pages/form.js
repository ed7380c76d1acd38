import { request, ProblemError } from '../api.js';
import { h, show, breadcrumbs, notify, showFieldErrors } from '../ui.js';

// The fields of a remittance, with the help each shows and the API's rule behind it.
const fields = [
  ['senderName', 'Sender name', 'Who sends the money, as on their account; up to 100 characters.'],
  ['senderBank', 'Sender bank', 'The sending bank (a name or a BIC); up to 100 characters.'],
  ['senderAccount', 'Sender account', 'The account the money leaves; up to 100 characters.'],
  ['receiverName', 'Receiver name', 'Who receives the money; up to 100 characters.'],
  ['receiverBank', 'Receiver bank', 'The receiving bank (a name or a BIC); up to 100 characters.'],
  ['receiverAccount', 'Receiver account', 'The account the money goes to; up to 100 characters.'],
  ['amount', 'Amount (minor units)', 'A whole number of the currency\'s smallest unit: 12345 is 123.45 EUR.'],
  ['currency', 'Currency', 'An ISO 4217 code in capitals, such as EUR or USD.'],
  ['reference', 'Reference (optional)', 'Shown to the receiver; up to 140 characters.'],
];

function fieldGroup([name, label, help], value) {
  return h('div', { class: 'mb-3' },
    h('label', { class: 'form-label', for: `field-${name}` }, label),
    h('input', {
      class: 'form-control', id: `field-${name}`, name, value: value ?? '',
      inputmode: name === 'amount' ? 'numeric' : null, 'aria-describedby': `field-${name}-help`,
    }),
    h('div', { class: 'form-text', id: `field-${name}-help` }, help));
}

/// The body a form asks for: amount as a number when it is one (else sent as typed, so the
/// API names the field), an empty reference left out.
function values(form, only) {
  const body = {};
  for (const [name] of fields) {
    const text = form[name].value.trim();
    if (only && text === String(only[name] ?? '')) continue;
    if (name === 'reference' && text === '' && !only) continue;
    body[name] = name === 'amount' && /^-?\d+$/.test(text) ? Number(text) : text;
  }
  return body;
}

/// Submits `form` with `send` (which answers the notification and the page to go to); a
/// refusal is shown on the form, next to its fields.
function onSubmit(form, area, send) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    area.hidden = true;
    try {
      const done = await send();
      if (!done) return;
      notify(done.message);
      window.location.hash = done.then;
    } catch (failure) {
      showProblem(form, area, failure);
    }
  });
}

function problemArea() { return h('div', { class: 'alert alert-danger', role: 'alert', hidden: true, id: 'form-problem' }); }

function showProblem(form, area, failure) {
  const unplaced = failure instanceof ProblemError ? showFieldErrors(form, failure.fieldErrors) : [];
  area.replaceChildren(failure.message, ...unplaced.map((line) => h('div', {}, line)));
  area.hidden = false;
  (form.querySelector('.is-invalid') ?? area).focus?.();
}

export function createPage() {
  breadcrumbs(['Home', '#/'], ['Remittances', '#/remittances'], ['Create']);
  const area = problemArea();
  const form = h('form', { class: 'form-narrow', novalidate: true, id: 'remittance-form' },
    h('h1', { class: 'h3' }, 'Create a remittance'), area, fields.map((field) => fieldGroup(field)),
    h('button', { class: 'btn btn-primary', type: 'submit', id: 'form-submit' }, 'Create'), ' ',
    h('a', { class: 'btn btn-link', href: '#/remittances' }, 'Back'));
  // One key per form: a retry after a lost answer is the same create, never a second one.
  const idempotencyKey = crypto.randomUUID();
  onSubmit(form, area, async () => {
    const { body } = await request('POST', '/api/v1/remittances', values(form), { 'Idempotency-Key': idempotencyKey });
    return { message: `Remittance ${body.id.slice(0, 8)} created.`, then: `#/remittances/${body.id}` };
  });
  show('Create a remittance', form);
}

export async function editPage(id) {
  breadcrumbs(['Home', '#/'], ['Remittances', '#/remittances'], [id.slice(0, 8), `#/remittances/${id}`], ['Update']);
  const { body: remittance } = await request('GET', `/api/v1/remittances/${id}`);
  const area = problemArea();
  const form = h('form', { class: 'form-narrow', novalidate: true, id: 'remittance-form' },
    h('h1', { class: 'h3' }, `Update remittance ${id.slice(0, 8)}`), area,
    h('p', { class: 'text-body-secondary' }, `Version ${remittance.version}: a change made meanwhile by someone else is refused, not overwritten.`),
    fields.map((field) => fieldGroup(field, remittance[field[0]])),
    h('button', { class: 'btn btn-primary', type: 'submit', id: 'form-submit' }, 'Save changes'), ' ',
    h('a', { class: 'btn btn-link', href: `#/remittances/${id}` }, 'Back'));
  onSubmit(form, area, async () => {
    const changes = values(form, remittance);
    if (Object.keys(changes).length === 0) { notify('Nothing changed.'); return null; }
    await request('PATCH', `/api/v1/remittances/${id}`, changes, { 'If-Match': `"${remittance.version}"` });
    return { message: `Remittance ${id.slice(0, 8)} updated.`, then: `#/remittances/${id}` };
  });
  show('Update a remittance', form);
}

export async function cancelPage(id) {
  breadcrumbs(['Home', '#/'], ['Remittances', '#/remittances'], [id.slice(0, 8), `#/remittances/${id}`], ['Cancel']);
  const { body: remittance } = await request('GET', `/api/v1/remittances/${id}`);
  const area = problemArea();
  const form = h('form', { class: 'form-narrow', novalidate: true, id: 'cancel-form' },
    h('h1', { class: 'h3' }, `Cancel remittance ${id.slice(0, 8)}?`), area,
    h('p', {}, 'A cancelled remittance stays in the ledger with its history; it can not change again.'),
    h('div', { class: 'mb-3' },
      h('label', { class: 'form-label', for: 'field-reason' }, 'Reason'),
      h('textarea', { class: 'form-control', id: 'field-reason', name: 'reason', rows: 2, 'aria-describedby': 'field-reason-help' }),
      h('div', { class: 'form-text', id: 'field-reason-help' }, 'Why it is cancelled, kept in its history; up to 500 characters.')),
    h('button', { class: 'btn btn-danger', type: 'submit', id: 'form-submit' }, 'Cancel the remittance'), ' ',
    h('a', { class: 'btn btn-link', href: `#/remittances/${id}` }, 'Keep it'));
  onSubmit(form, area, async () => {
    await request('POST', `/api/v1/remittances/${id}/cancel`, { reason: form.reason.value.trim() }, { 'If-Match': `"${remittance.version}"` });
    return { message: `Remittance ${id.slice(0, 8)} cancelled.`, then: `#/remittances/${id}` };
  });
  show('Cancel a remittance', form);
}
