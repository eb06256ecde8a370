// Entry point: picks the page from the path after the UI root (see index.html's <base>).
import { h } from './api.js';
import { renderDashboardPage } from './dashboard.js';
import { renderGraphPage } from './graph.js';
import { renderAlertsPage, renderConfigPage, renderRulesPage, renderStatusPage,
  renderTargetsPage } from './pages.js';
import './style.css';

function currentPage() {
  const base = new URL(document.baseURI).pathname;
  let rest = location.pathname.startsWith(base) ? location.pathname.slice(base.length) : '';
  rest = rest.replace(/\/$/, '');
  return rest || 'graph';
}

async function main() {
  const root = document.getElementById('app');
  root.replaceChildren();
  const page = currentPage();
  const section = page.split('/')[0];
  document.querySelectorAll('.topnav a[data-page]').forEach((a) =>
    a.classList.toggle('active', a.dataset.page === section));
  document.title = `Tally - ${section}`;
  try {
    if (page === 'graph') renderGraphPage(root);
    else if (page.startsWith('dashboards/')) await renderDashboardPage(root, page.slice(11));
    else if (page === 'alerts') await renderAlertsPage(root);
    else if (page === 'rules') await renderRulesPage(root);
    else if (page === 'targets') await renderTargetsPage(root);
    else if (page === 'status') await renderStatusPage(root);
    else if (page === 'config') await renderConfigPage(root);
    else root.append(h('div', { class: 'error' }, `Unknown page "${page}".`));
  } finally {
    if (!page.startsWith('dashboards/') && page !== 'graph') root.dataset.state = 'done';
  }
}

main();
