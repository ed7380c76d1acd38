import { signIn, ProblemError } from '../api.js';
import { h, show, breadcrumbs } from '../ui.js';

export function signInPage(query) {
  breadcrumbs(['Sign in']);
  const error = h('div', { class: 'alert alert-danger', role: 'alert', hidden: true, id: 'signin-error' });
  const form = h('form', { class: 'form-narrow', novalidate: true },
    h('h1', { class: 'h3 mb-3' }, 'Sign in'),
    query.get('expired') ? h('div', { class: 'alert alert-warning', role: 'status' }, 'Your session ended; sign in again.') : null,
    error,
    h('div', { class: 'mb-3' },
      h('label', { class: 'form-label', for: 'username' }, 'User name'),
      h('input', { class: 'form-control', id: 'username', name: 'username', autocomplete: 'username', required: true })),
    h('div', { class: 'mb-3' },
      h('label', { class: 'form-label', for: 'password' }, 'Password'),
      h('input', { class: 'form-control', id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    h('button', { class: 'btn btn-primary', type: 'submit', id: 'signin-submit' }, 'Sign in'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    try {
      await signIn(form.username.value.trim(), form.password.value);
      window.location.hash = '#/remittances';
    } catch (failure) {
      error.textContent = failure instanceof ProblemError && failure.status === 429
        ? `Too many attempts: ${failure.message}` : 'The user name or password is wrong.';
      error.hidden = false;
      form.password.value = '';
      form.password.focus();
    }
  });
  show('Sign in', form);
  form.username.focus();
}
