// The console: a page per hash route, each drawn from the API. No build step, no framework.
import { session, signOut, onServedBy, ProblemError } from './api.js';
import { h, show, breadcrumbs, notify, nextPage } from './ui.js';
import { signInPage } from './pages/signin.js';
import { homePage } from './pages/home.js';
import { remittancesPage } from './pages/remittances.js';
import { createPage, editPage, cancelPage } from './pages/form.js';
import { detailPage } from './pages/detail.js';
import { regionsPage } from './pages/regions.js';
import { dashboardPage } from './pages/dashboard.js';

const routes = [
  [/^\/signin$/, signInPage, { public: true }],
  [/^\/$/, homePage, { public: true }],
  [/^\/remittances$/, remittancesPage],
  [/^\/remittances\/new$/, createPage],
  [/^\/remittances\/([0-9a-f-]{36})$/, detailPage],
  [/^\/remittances\/([0-9a-f-]{36})\/edit$/, editPage],
  [/^\/remittances\/([0-9a-f-]{36})\/cancel$/, cancelPage],
  [/^\/regions$/, regionsPage],
  [/^\/dashboard$/, dashboardPage],
];

function header() {
  const current = session();
  document.getElementById('signed-in-as').textContent = current ? `${current.user} (${current.roles.join(', ')})` : '';
  document.getElementById('sign-out').hidden = !current;
  document.getElementById('nav-links').hidden = !current;
  // Each page is offered to the roles the API lets read it; another role asking anyway is told why.
  const roles = current?.roles ?? [];
  for (const link of document.querySelectorAll('[data-roles]')) {
    link.parentElement.hidden = !link.dataset.roles.split(' ').some((role) => roles.includes(role));
  }
}

async function route() {
  const [path, search] = (window.location.hash.slice(1) || '/').split('?');
  const query = new URLSearchParams(search ?? '');
  nextPage();
  header();
  for (const [pattern, page, options] of routes) {
    const match = pattern.exec(path);
    if (!match) continue;
    if (!options?.public && !session()) { window.location.hash = '#/signin'; return; }
    for (const link of document.querySelectorAll('[data-nav]')) {
      link.classList.toggle('active', path.startsWith(`/${link.dataset.nav}`));
    }
    try {
      await page(...match.slice(1), query);
    } catch (failure) {
      breadcrumbs(['Home', '#/'], ['Problem']);
      const explained = failure instanceof ProblemError && failure.status === 403
        ? 'Your roles do not allow this page. Ask an admin for the role it needs.'
        : failure instanceof ProblemError && failure.status === 404 ? 'There is no such remittance.' : failure.message;
      show('Problem', h('div', { class: 'alert alert-danger', role: 'alert', id: 'page-problem' }, explained));
    }
    return;
  }
  breadcrumbs(['Home', '#/'], ['Not found']);
  show('Not found', h('p', {}, 'There is no such page. ', h('a', { href: '#/' }, 'Home')));
}

onServedBy((region) => { document.getElementById('served-by').textContent = `served by ${region}`; });
document.getElementById('sign-out').addEventListener('click', async () => {
  await signOut();
  notify('Signed out.');
  window.location.hash = '#/signin';
});
window.addEventListener('hashchange', route);
route();
