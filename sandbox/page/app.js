// The sandbox page: a small Telegram client of the sandbox's Bot API server. Plain script, no
// external resources; the server pushes "chat changed" events, the page then reloads that chat.
'use strict';

const state = { world: null, userId: null, chatId: null };
const $ = (selector) => document.querySelector(selector);

async function api(path, body) {
  const response = await fetch(`/sandbox/api/${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) if (child !== undefined && child !== null) node.append(child);
  return node;
}

const me = () => state.world.users.find((u) => u.id === state.userId);
const nameOf = (user) => [user.first_name, user.last_name].filter(Boolean).join(' ');

async function loadWorld() {
  state.world = await api('world');
  if (state.userId === null) {
    // The first visitor is the owner (ADMIN_TELEGRAM_IDS of the sandbox).
    const saved = Number(localStorage.getItem('sandbox.userId'));
    state.userId = state.world.users.some((u) => u.id === saved) ? saved : state.world.users.find((u) => u.role === 'owner').id;
  }
  renderUsers();
  const chats = chatsOf(me());
  if (!chats.some((c) => c.id === state.chatId)) state.chatId = chats[0].id;
  renderChats();
  await loadChat();
}

function chatsOf(user) {
  const groups = state.world.groups.filter((g) => g.members.includes(user.id));
  return [{ id: user.id, title: `${state.world.bot.first_name} (@${state.world.bot.username})` }, ...groups];
}

function renderUsers() {
  const select = $('#act-as');
  select.replaceChildren(...state.world.users.map((u) => el('option', { value: u.id, selected: u.id === state.userId }, `${nameOf(u)} · ${u.role} · id ${u.id}`)));
}

function renderChats() {
  $('#chats').replaceChildren(
    ...chatsOf(me()).map((chat) =>
      el('button', { type: 'button', 'data-chat': chat.id, class: chat.id === state.chatId ? 'current' : undefined, onclick: () => openChat(chat.id) }, chat.title),
    ),
  );
  renderInfo();
}

function renderInfo() {
  const user = me();
  const inGroup = state.chatId !== user.id;
  const link = state.world.temporalUi && `${state.world.temporalUi}/${encodeURIComponent(user.workflowId)}`;
  // replaceChildren would show a skipped (undefined) part as the text "undefined".
  $('#info').replaceChildren(...[
    el('h3', {}, nameOf(user)),
    el('p', {}, `Telegram user id ${user.id}`, user.username ? ` · @${user.username}` : '', ` · ${user.language_code || 'ru'}`),
    el('p', {}, `Role: ${user.role}`),
    el('p', { id: 'workflow' }, "This person's lead workflow: ", el('code', {}, user.workflowId), link ? el('br') : undefined, link ? el('a', { href: link, target: '_blank', rel: 'noopener' }, 'open in the Temporal Web UI') : undefined),
    inGroup ? el('p', { class: 'muted' }, `Chat id ${state.chatId} (MANAGERS_CHAT_ID)`) : undefined,
    el('p', { class: 'muted' }, 'Try /start as a lead; /admin, /dashboard, /broadcast as the owner; Take on a card in Managers as the manager. /whoami anywhere.'),
  ].filter(Boolean));
  $('#share-contact').hidden = inGroup;
  $('#attach').hidden = inGroup;
}

async function openChat(chatId) {
  state.chatId = chatId;
  renderChats();
  await loadChat({ toBottom: true });
}

/** Redraws the open chat; it follows new messages while the reader is at the bottom, as a chat app does. */
async function loadChat({ toBottom = false } = {}) {
  const chat = chatsOf(me()).find((c) => c.id === state.chatId);
  $('#chat-title').textContent = chat ? chat.title : '';
  const { messages, action } = await api(`chats/${state.chatId}`);
  const box = $('#messages');
  const atBottom = toBottom || box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  box.replaceChildren(...messages.map(renderMessage));
  if (atBottom) box.scrollTop = box.scrollHeight;
  $('#typing').hidden = action !== 'typing';
}

function renderMessage(message) {
  const fromBot = message.from && message.from.id === state.world.bot.id;
  const mine = message.from && message.from.id === state.userId;
  const sender = fromBot ? state.world.bot.first_name : message.from ? nameOf(message.from) : '';
  const parts = [el('div', { class: 'from' }, sender)];
  if (message.text) parts.push(el('div', { class: 'text' }, message.text));
  if (message.photo) {
    const biggest = message.photo[message.photo.length - 1];
    parts.push(el('img', { src: `/sandbox/api/files/${encodeURIComponent(biggest.file_id)}`, alt: 'photo' }));
  }
  if (message.document) {
    parts.push(el('a', { href: `/sandbox/api/files/${encodeURIComponent(message.document.file_id)}`, download: message.document.file_name || 'file', 'data-document': message.document.file_name || '' }, `📎 ${message.document.file_name || 'document'}`));
  }
  if (message.caption) parts.push(el('div', { class: 'text' }, message.caption));
  if (message.contact) parts.push(el('div', { class: 'text' }, `📱 ${message.contact.phone_number}`));
  if (message.successful_payment) parts.push(el('div', { class: 'text' }, `✅ Paid ${message.successful_payment.total_amount} ${message.successful_payment.currency === 'XTR' ? '⭐' : message.successful_payment.currency}`));
  if (message.invoice) {
    const inv = message.invoice;
    parts.push(
      el('div', { class: 'invoice' }, el('strong', {}, inv.title), el('div', {}, inv.description),
        el('button', { type: 'button', 'data-pay': message.message_id, onclick: () => pay(message.message_id) }, `Pay ${inv.total_amount} ${inv.currency === 'XTR' ? '⭐' : inv.currency}`)),
    );
  }
  const keyboard = message.reply_markup && message.reply_markup.inline_keyboard;
  if (keyboard) {
    parts.push(
      el('div', { class: 'keyboard' }, ...keyboard.map((row) =>
        el('div', { class: 'row' }, ...row.map((button) =>
          button.url
            ? el('a', { href: button.url, target: '_blank', rel: 'noopener' }, button.text)
            : el('button', { type: 'button', 'data-button': button.text, onclick: () => press(message.message_id, button.callback_data) }, button.text),
        )),
      )),
    );
  }
  // A test payment link (the bot adds order_id): the sandbox plays the provider and tells the bot it was paid.
  for (const link of paymentLinks(message)) {
    parts.push(el('button', { type: 'button', class: 'pay-link', 'data-pay-link': link, onclick: () => payLink(link) }, '💳 Pay this link (sandbox)'));
  }
  if (message.edit_date) parts.push(el('div', { class: 'edited' }, 'edited'));
  return el('div', { class: mine ? 'message mine' : 'message', 'data-message': message.message_id, 'data-from': fromBot ? 'bot' : message.from && message.from.id }, ...parts);
}

async function act(path, body) {
  $('#notice').textContent = '';
  try {
    return await api(path, { userId: state.userId, chatId: state.chatId, ...body });
  } catch (error) {
    $('#notice').textContent = String(error.message || error);
    return undefined;
  }
}

const press = (messageId, data) => act('press', { messageId, data });

function paymentLinks(message) {
  const inText = String(message.text || message.caption || '').match(/https?:\/\/\S+/g) || [];
  const inButtons = ((message.reply_markup && message.reply_markup.inline_keyboard) || []).flat().map((button) => button.url).filter(Boolean);
  return [...new Set([...inText, ...inButtons])].filter((url) => /[?&]order_id=\d+/.test(url));
}

async function payLink(url) {
  $('#notice').textContent = 'Paying the link: the sandbox posts the provider\'s notice to the payment webhook…';
  const result = await act('pay-link', { url });
  if (result) $('#notice').textContent = `Payment webhook answered: ${result.result || result.error || JSON.stringify(result)}.`;
}

async function pay(messageId) {
  $('#notice').textContent = 'Paying with sandbox Stars…';
  const result = await act('pay', { messageId });
  if (result) $('#notice').textContent = result.paid ? `Paid (charge ${result.chargeId}).` : `Not paid: ${result.error}`;
}

$('#composer').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = $('#text');
  const text = input.value;
  if (!text.trim()) return;
  input.value = '';
  await act('send', { text });
});

$('#share-contact').addEventListener('click', () => act('contact', {}));

$('#file').addEventListener('change', async (event) => {
  const file = event.target.files[0];
  event.target.value = '';
  if (!file) return;
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  const caption = $('#text').value;
  $('#text').value = '';
  await act('upload', { kind: file.type.startsWith('image/') ? 'photo' : 'document', name: file.name, base64: btoa(binary), caption });
});

$('#act-as').addEventListener('change', async (event) => {
  state.userId = Number(event.target.value);
  localStorage.setItem('sandbox.userId', String(state.userId));
  state.chatId = state.userId;
  await loadWorld();
});

$('#new-user-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const user = await api('users', Object.fromEntries(form));
  event.target.reset();
  $('#new-user').open = false;
  state.userId = user.id;
  state.chatId = user.id;
  localStorage.setItem('sandbox.userId', String(user.id));
  await loadWorld();
});

const events = new EventSource('/sandbox/api/events');
let pending = false;
events.onmessage = (event) => {
  const { chatId } = JSON.parse(event.data);
  if (chatId !== state.chatId || pending) return;
  pending = true;
  // Many changes in a burst (a message and its keyboard edit) make one reload.
  setTimeout(() => {
    pending = false;
    void loadChat();
  }, 50);
};
// The typing indicator ends by itself after 5 seconds, with no event.
setInterval(() => {
  if (!$('#typing').hidden) void loadChat();
}, 2000);

void loadWorld();
