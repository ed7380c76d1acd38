// Small helpers every page uses: elements, notifications, breadcrumbs, field errors.

/// An element with attributes and children; strings become text (never HTML).
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

let pagesShown = 0;
/// A new page: notifications from before the one before it go (one made just before a
/// navigation, "created", stays on the page it led to).
export function nextPage() {
  pagesShown += 1;
  for (const note of document.querySelectorAll('#notifications [data-page]')) {
    if (Number(note.dataset.page) < pagesShown - 1) note.remove();
  }
}

/// A notification at the top of the page: success or failure, dismissible.
export function notify(message, kind = 'success') {
  const area = document.getElementById('notifications');
  const note = h('div', { class: `alert alert-${kind === 'success' ? 'success' : 'danger'} alert-dismissible`, role: kind === 'success' ? 'status' : 'alert', 'data-page': pagesShown },
    message, h('button', { type: 'button', class: 'btn-close', 'aria-label': 'Dismiss', onclick: () => note.remove() }));
  area.append(note);
  if (kind === 'success') setTimeout(() => note.remove(), 8000);
}

export function breadcrumbs(...items) {
  const list = document.getElementById('breadcrumbs');
  list.replaceChildren(...items.map(([label, href], index) => index === items.length - 1
    ? h('li', { class: 'breadcrumb-item active', 'aria-current': 'page' }, label)
    : h('li', { class: 'breadcrumb-item' }, h('a', { href }, label))));
}

/// Shows a page: its title in the document, focus on it for keyboard and screen-reader users.
export function show(title, ...content) {
  document.title = `${title} · Remit`;
  const page = document.getElementById('page');
  page.replaceChildren(...content.flat().filter((child) => child !== null && child !== undefined && child !== false));
  page.focus();
}

/// Puts each field error next to its field (an input named like the field); the rest in a list.
export function showFieldErrors(form, errors) {
  for (const old of form.querySelectorAll('.invalid-feedback')) old.remove();
  for (const input of form.querySelectorAll('.is-invalid')) input.classList.remove('is-invalid');
  const unplaced = [];
  for (const { field, message } of errors) {
    const input = form.querySelector(`[name="${CSS.escape(field)}"]`);
    if (!input) { unplaced.push(`${field}: ${message}`); continue; }
    input.classList.add('is-invalid');
    input.setAttribute('aria-invalid', 'true');
    const feedback = h('div', { class: 'invalid-feedback', id: `${input.id}-error` }, message);
    input.setAttribute('aria-describedby', `${input.id}-help ${input.id}-error`);
    input.after(feedback);
  }
  return unplaced;
}

export function formatAmount(minor, currency) {
  const digits = { JPY: 0, KRW: 0, BHD: 3, KWD: 3, JOD: 3, OMR: 3, TND: 3 }[currency] ?? 2;
  return `${(minor / 10 ** digits).toFixed(digits)} ${currency}`;
}

export function formatTime(value) {
  return value ? new Date(value).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '';
}
