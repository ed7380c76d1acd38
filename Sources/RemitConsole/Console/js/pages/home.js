import { session } from '../api.js';
import { h, show, breadcrumbs } from '../ui.js';

export function homePage() {
  breadcrumbs(['Home']);
  show('Home',
    h('h1', { class: 'h3' }, 'Remit'),
    h('p', { class: 'lead' }, 'A two-region remittance ledger: every transfer is an event in an append-only, hash-chained log, '
      + 'shipped to a warm standby region, and moved to the other region and back without losing an acknowledged transfer.'),
    h('img', { class: 'regions-picture img-fluid my-3', src: '/console/regions.svg', alt: 'Two regions: east writes the log and ships verified segments to west; the router sends clients to the writer.' }),
    session()
      ? h('ul', {},
        h('li', {}, h('a', { href: '#/remittances' }, 'Remittances'), ': find, create, amend and cancel transfers, with each one\'s history.'))
      : h('a', { class: 'btn btn-primary', href: '#/signin', id: 'home-sign-in' }, 'Sign in'));
}
