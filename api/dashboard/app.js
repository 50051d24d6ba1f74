// The analytics dashboard: a token form, then /analytics drawn as inline SVG charts. No libraries
// (the page must work offline); every figure is set with textContent, never parsed as HTML.
'use strict';

const TOKEN_KEY = 'analyticsToken';
const SVG = 'http://www.w3.org/2000/svg';
const STEP_NAMES = { started: 'Старт', bonus: 'Бонус', survey: 'Опрос', consultation: 'Консультация', payment: 'Оплата' };
const SEGMENT_NAMES = { cold: 'Холодные', warm: 'Тёплые', hot: 'Горячие', none: 'Без опроса' };
const $ = (id) => document.getElementById(id);
let days = 30;

function el(tag, attrs = {}, text) {
  const node = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

const percent = (share) => (share === null || share === undefined ? '—' : `${(Math.round(share * 1000) / 10).toLocaleString('ru-RU')}%`);
const number = (value) => (value === null || value === undefined ? '—' : Number(value).toLocaleString('ru-RU').replace(/\s/g, ' '));

function duration(seconds) {
  if (seconds === null) return '—';
  if (seconds < 60) return `${seconds} с`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} мин`;
  return `${Math.round((seconds / 3600) * 10) / 10} ч`;
}

function show(id, visible) {
  $(id).hidden = !visible;
}

function headers() {
  return { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` };
}

/** Forget the token and show the form, with a reason when there is one. */
function logout(reason) {
  sessionStorage.removeItem(TOKEN_KEY);
  show('report', false);
  show('periods', false);
  show('status', false);
  show('login', true);
  $('login-error').textContent = reason || '';
  show('login-error', !!reason);
}

async function load() {
  $('status').textContent = 'Загрузка…';
  show('status', true);
  let response;
  try {
    response = await fetch(`/analytics?days=${days}`, { headers: headers() });
  } catch {
    $('status').textContent = 'Сервер не отвечает. Попробуйте позже.';
    return;
  }
  if (response.status === 401) return logout('Неверный токен: доступ запрещён.');
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    $('status').textContent = `Ошибка ${response.status}: ${body.error || 'неизвестная'}`;
    return;
  }
  show('login', false);
  show('status', false);
  show('periods', true);
  show('report', true);
  for (const button of document.querySelectorAll('#periods [data-days]')) button.classList.toggle('active', Number(button.dataset.days) === days);
  render(body);
}

function render(a) {
  const from = a.perDay[0].day;
  const to = a.perDay[a.perDay.length - 1].day;
  $('period').textContent = `Период: ${a.period.days} дн., ${from} — ${to} (${a.period.timeZone})`;
  $('period').dataset.days = a.period.days;
  renderCards(a);
  $('funnel-chart').replaceChildren(funnelChart(a.funnel));
  $('per-day-chart').replaceChildren(perDayChart(a.perDay));
  $('segments-chart').replaceChildren(segmentsChart(a.conversionBySegment));
  $('sales').replaceChildren(salesBlock(a.sales));
  $('time-to-take').replaceChildren(timeToTakeBlock(a.leads.timeToTake));
  $('broadcasts').replaceChildren(broadcastsBlock(a.broadcasts));
  $('ab-tests').replaceChildren(abBlock(a.abTests));
  $('llm').replaceChildren(llmBlock(a.llm));
}

function renderCards(a) {
  const consultation = a.funnel.steps.find((s) => s.step === 'consultation');
  const cards = [
    ['users.total', 'Пользователей всего', number(a.users.total)],
    ['users.new', 'Новых за период', number(a.users.new)],
    ['users.active7d', 'Активных за 7 дней', number(a.users.active7d)],
    ['leads.requests.new', 'Заявок за период', number(a.leads.requests.new)],
    ['funnel.consultation.rate', 'Конверсия в консультацию', percent(consultation.rate)],
    ['leads.blocked', 'Заблокировали бота', number(a.leads.blocked)],
  ];
  $('cards').replaceChildren(
    ...cards.map(([metric, label, value]) => {
      const card = el('div', { class: 'card' });
      card.append(el('div', { class: 'value', 'data-metric': metric }, value), el('div', { class: 'label' }, label));
      return card;
    }),
  );
}

/** Horizontal bars: one per row, the label on the left, the figure after the bar. */
function horizontalBars(rows, { kind, width = 900, labelWidth = 150 }) {
  const rowHeight = 34;
  const max = Math.max(1, ...rows.map((r) => r.value ?? 0));
  const svg = el('svg:svg', { viewBox: `0 0 ${width} ${rows.length * rowHeight + 6}`, role: 'img', 'data-chart': kind });
  rows.forEach((row, i) => {
    const y = i * rowHeight + 4;
    const barWidth = row.value === null ? 0 : ((width - labelWidth - 190) * (row.value ?? 0)) / max;
    svg.append(el('svg:text', { x: 0, y: y + 19, 'font-size': 14 }, row.label));
    const bar = el('svg:rect', { x: labelWidth, y, width: Math.max(barWidth, row.value ? 2 : 0), height: rowHeight - 10, rx: 4, fill: row.color || '#3867d6' });
    bar.dataset.key = row.key;
    bar.dataset.value = row.value === null ? '' : row.value;
    svg.append(bar);
    const caption = el('svg:text', { x: labelWidth + barWidth + 8, y: y + 19, 'font-size': 14 }, row.caption);
    caption.dataset.key = row.key;
    caption.dataset.caption = '';
    svg.append(caption);
  });
  return svg;
}

function funnelChart(funnel) {
  return horizontalBars(
    funnel.steps.map((s) => ({
      key: s.step,
      label: STEP_NAMES[s.step],
      value: s.count,
      caption: s.count === null ? `нет данных: ${funnel.unavailable[s.step] || ''}` : `${number(s.count)} (${percent(s.rate)})`,
    })),
    { kind: 'funnel' },
  );
}

function segmentsChart(segments) {
  return horizontalBars(
    segments.map((s) => ({
      key: s.segment,
      label: SEGMENT_NAMES[s.segment],
      value: s.consultationRate === null ? 0 : Math.round(s.consultationRate * 1000) / 10,
      caption: `${percent(s.consultationRate)} (${number(s.consultations)} из ${number(s.started)})`,
      color: { cold: '#4b7bec', warm: '#fa8231', hot: '#eb3b5a', none: '#a5b1c2' }[s.segment],
    })),
    { kind: 'segments' },
  );
}

/** Bars of new users per day with the day's requests as a darker inner bar; the highest value on the axis. */
function perDayChart(perDay) {
  const width = 900;
  const height = 220;
  const bottom = height - 24;
  const max = Math.max(1, ...perDay.map((d) => d.users), ...perDay.map((d) => d.requests));
  const step = (width - 40) / perDay.length;
  const svg = el('svg:svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'data-chart': 'per-day' });
  svg.append(el('svg:line', { x1: 40, y1: bottom, x2: width, y2: bottom, stroke: '#c5cad3' }));
  svg.append(el('svg:text', { x: 0, y: 14, 'font-size': 12, 'data-axis-max': max }, number(max)));
  perDay.forEach((d, i) => {
    const x = 40 + i * step;
    const barHeight = ((bottom - 10) * d.users) / max;
    const users = el('svg:rect', { x: x + step * 0.1, y: bottom - barHeight, width: step * 0.8, height: barHeight, fill: '#4b7bec' });
    users.dataset.day = d.day;
    users.dataset.users = d.users;
    users.append(el('svg:title', {}, `${d.day}: пользователей ${d.users}, заявок ${d.requests}`));
    const requestsHeight = ((bottom - 10) * d.requests) / max;
    const requests = el('svg:rect', { x: x + step * 0.3, y: bottom - requestsHeight, width: step * 0.4, height: requestsHeight, fill: '#20bf6b' });
    requests.dataset.day = d.day;
    requests.dataset.requests = d.requests;
    svg.append(users, requests);
  });
  svg.append(el('svg:text', { x: 40, y: height - 6, 'font-size': 12 }, perDay[0].day));
  svg.append(el('svg:text', { x: width - 80, y: height - 6, 'font-size': 12 }, perDay[perDay.length - 1].day));
  const legend = el('div', { class: 'muted' }, 'синие — новые пользователи, зелёные — заявки');
  const wrap = el('div');
  wrap.append(svg, legend);
  return wrap;
}

function unavailable(section) {
  return el('p', { class: 'muted', 'data-unavailable': '' }, `Нет данных: ${section.reason}`);
}

function table(head, rows, attrs = {}) {
  const t = el('table', attrs);
  const tr = el('tr');
  for (const h of head) tr.append(el('th', {}, h));
  t.append(tr);
  for (const row of rows) {
    const line = el('tr');
    for (const cell of row) line.append(el('td', {}, cell));
    t.append(line);
  }
  return t;
}

function salesBlock(sales) {
  if (!sales.available) return unavailable(sales);
  if (sales.byCurrency.length === 0) return el('p', { class: 'muted' }, 'Оплат за период нет');
  return table(
    ['Валюта', 'Выручка', 'Оплат', 'Средний чек'],
    sales.byCurrency.map((c) => [c.currency, number(c.revenue), number(c.orders), number(c.averageOrder)]),
    { 'data-table': 'sales' },
  );
}

function timeToTakeBlock(take) {
  if (!take.available) return unavailable(take);
  return table(
    ['Передач менеджеру', 'Взято', 'Ждут', 'Медиана', 'Среднее'],
    [[number(take.handoffs), number(take.taken), number(take.waiting), duration(take.medianSeconds), duration(take.averageSeconds)]],
    { 'data-table': 'time-to-take' },
  );
}

function broadcastsBlock(b) {
  if (!b.available) return unavailable(b);
  const statuses = Object.entries(b.byStatus).map(([s, n]) => `${s}: ${n}`).join(', ') || '—';
  return table(
    ['Кампаний', 'Отправок', 'По статусам', 'Охват', 'Ошибок'],
    [[number(b.campaigns), number(b.deliveries), statuses, number(b.uniqueReach), percent(b.errorRate)]],
    { 'data-table': 'broadcasts' },
  );
}

function abBlock(ab) {
  if (!ab.available) return unavailable(ab);
  if (ab.tests.length === 0) return el('p', { class: 'muted' }, 'A/B-тестов за период нет');
  const rows = [];
  for (const test of ab.tests) {
    for (const v of test.variants) {
      rows.push([`#${test.campaignId}`, v.variant + (v.variant === test.leader ? ' 🏆' : ''), number(v.delivered), number(v.clicks), percent(v.ctr), number(v.conversions), percent(v.cr), number(v.unsubscribes)]);
    }
  }
  return table(['Кампания', 'Вариант', 'Доставлено', 'Клики', 'CTR', 'Конверсии', 'CR', 'Отписки'], rows, { 'data-table': 'ab' });
}

function llmBlock(llm) {
  return table(
    ['Вызовов', 'Запасных ответов', 'Доля запасных', 'Ходов', 'Передано менеджеру'],
    [[number(llm.calls), number(llm.fallbacks), percent(llm.fallbackRate), number(llm.turns), `${number(llm.escalations)} (${percent(llm.escalationRate)})`]],
    { 'data-table': 'llm' },
  );
}

/** Downloads go through fetch, since the token travels in a header, not in the link. */
async function download(path, filename) {
  show('export-error', false);
  const response = await fetch(path, { headers: headers() });
  if (response.status === 401) return logout('Неверный токен: доступ запрещён.');
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    $('export-error').textContent = body.error || `Ошибка ${response.status}`;
    show('export-error', true);
    return;
  }
  const link = el('a', { href: URL.createObjectURL(await response.blob()), download: filename });
  document.body.append(link);
  link.click();
  link.remove();
}

$('login').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
  $('token').value = '';
  void load();
});
$('logout').addEventListener('click', () => logout());
for (const button of document.querySelectorAll('#periods [data-days]')) {
  button.addEventListener('click', () => {
    days = Number(button.dataset.days);
    void load();
  });
}
for (const button of document.querySelectorAll('[data-export]')) {
  button.addEventListener('click', () => void download(`${button.dataset.export}?days=${days}`, `${button.dataset.export.split('/').pop()}`));
}
// Each export is a CSV button (its name) with an .xlsx button beside it: the same rows, typed cells.
for (const button of [$('export-messages'), $('export-messages-xlsx')]) {
  button.addEventListener('click', () => {
    const id = $('lead-id').value;
    const format = button.dataset.format;
    if (id) void download(`/analytics/export/leads/${id}/messages.${format}`, `lead-${id}-messages.${format}`);
  });
}
if (sessionStorage.getItem(TOKEN_KEY)) void load();
else logout();
