// edgeio chat demo: signs in, lists conversations over REST, and does
// everything live with the chat's Socket.IO events (see the README).
"use strict";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "edgeio-chat-token";
const DEVICE_KEY = "edgeio-chat-device";

const state = {
  token: null,
  me: null,
  socket: null,
  convs: new Map(), // conversationId -> conversation as the chat list gives it
  open: null, // the conversation shown
  presence: new Map(), // userId -> online | away | offline
  typing: new Map(), // conversationId -> Set of userIds typing
  lastTypingSent: 0,
};

function randomId() {
  return Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
}

// The device id of this tab: kept across reloads, so a reload is a return.
function deviceId() {
  let id = sessionStorage.getItem(DEVICE_KEY);
  if (!id) sessionStorage.setItem(DEVICE_KEY, (id = "web-" + randomId()));
  return id;
}

// The user a token names (its `sub`), read without checking: the server does.
function subject(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part)).sub || null;
  } catch {
    return null;
  }
}

function toast(text) {
  const el = $("toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (el.hidden = true), 4000);
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${state.token}`, "Content-Type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(json.error?.message ?? `${method} ${path}: ${res.status}`);
  return json;
}

// ---- signing in ----------------------------------------------------------

async function signInByName(event) {
  event.preventDefault();
  const name = $("name").value.trim();
  const res = await fetch(`/dev/token?user=${encodeURIComponent(name)}`);
  if (res.status === 404) {
    $("paste").open = true;
    return showSignIn("This server has a configured key: paste a token from `edgeio token`.");
  }
  const json = await res.json().catch(() => ({}));
  if (!res.ok) return showSignIn(json.error?.message ?? `sign in failed (${res.status})`);
  start(json.token);
}

function signInByToken(event) {
  event.preventDefault();
  start($("token").value.trim());
}

function showSignIn(error) {
  $("app").hidden = true;
  $("signin").hidden = false;
  $("signin-error").textContent = error ?? "";
}

function signOut(error) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.socket?.disconnect();
  state.socket = null;
  $("banner").hidden = true;
  showSignIn(error);
}

function start(token) {
  const me = subject(token);
  if (!me) return showSignIn("That is not a token.");
  Object.assign(state, { token, me, open: null });
  state.convs.clear();
  sessionStorage.setItem(TOKEN_KEY, token);
  $("me-name").textContent = me;
  $("signin").hidden = true;
  $("app").hidden = false;
  renderThread();
  connect();
}

// ---- the socket -----------------------------------------------------------

function connect() {
  const socket = io({ auth: { token: state.token, deviceId: deviceId() } });
  state.socket = socket;
  const banner = (shown) => ($("banner").hidden = !shown);
  socket.on("connect", () => {
    banner(false);
    loadList().catch((e) => toast(e.message));
  });
  socket.on("disconnect", (reason) => banner(reason !== "io client disconnect"));
  socket.io.on("reconnect_attempt", () => banner(true));
  socket.on("connect_error", (err) => {
    if (err.data?.error?.code === "unauthorized" || err.data?.code === "unauthorized") {
      return signOut(`Signed out: ${err.message}`);
    }
    banner(true);
  });
  socket.on("connected", (data) => applyUnread(data.unreadCounts));
  socket.on("reconnected", (data) => {
    applyUnread(data.unreadCounts);
    if (state.open && data.pendingMessages?.length) openConversation(state.open);
  });
  socket.on("conversation:created", () => loadList().catch((e) => toast(e.message)));
  socket.on("message:received", received);
  socket.on("message:delivered", () => state.open && openConversation(state.open));
  socket.on("unread_count:updated", (d) => setUnread(d.conversationId, d.unreadCount));
  socket.on("read_receipt:received", readReceipt);
  socket.on("typing:indicator", typingIndicator);
  socket.on("presence:changed", (d) => {
    state.presence.set(d.userId, d.status);
    renderList();
    renderThreadHead();
  });
  socket.onAny((event, data) => {
    if (event.startsWith("error:")) toast(data?.message ?? event);
  });
}

function applyUnread(counts) {
  for (const [cid, n] of Object.entries(counts ?? {})) setUnread(cid, n);
}

function setUnread(cid, n) {
  const conv = state.convs.get(cid);
  if (!conv) return loadList().catch((e) => toast(e.message));
  conv.unreadCount = n;
  renderList();
}

// ---- conversations --------------------------------------------------------

async function loadList() {
  const { conversations } = await api("GET", "/conversations/chat-list?limit=100");
  state.convs = new Map(conversations.map((c) => [c.conversationId, c]));
  renderList();
}

function peerOf(conv) {
  const others = conv.participants.filter((p) => p !== state.me);
  return conv.type === "one-to-one" ? others[0] ?? state.me : conv.name ?? others.join(", ");
}

function renderList() {
  const list = $("conversations");
  list.replaceChildren();
  for (const conv of state.convs.values()) {
    const peer = peerOf(conv);
    const li = document.createElement("li");
    li.dataset.cid = conv.conversationId;
    li.dataset.peer = peer;
    li.classList.toggle("open", conv.conversationId === state.open);
    const dot = el("span", "dot");
    dot.dataset.status = state.presence.get(peer) ?? "unknown";
    dot.title = dot.dataset.status;
    const typing = state.typing.get(conv.conversationId)?.size;
    const last = typing ? "typing…" : conv.lastMessage?.content ?? "";
    const unread = conv.unreadCount > 0 && conv.conversationId !== state.open ? conv.unreadCount : "";
    li.append(dot, el("span", "peer", peer), el("span", "unread", String(unread)), el("span", "last", last));
    li.addEventListener("click", () => openConversation(conv.conversationId));
    list.append(li);
  }
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

async function startConversation(event) {
  event.preventDefault();
  const participantId = $("peer").value.trim();
  try {
    const conv = await api("POST", "/conversations/create/one-to-one", { participantId });
    $("peer").value = "";
    state.convs.set(conv.conversationId, conv);
    await openConversation(conv.conversationId);
  } catch (e) {
    toast(e.message);
  }
}

// ---- the open conversation ---------------------------------------------------

async function openConversation(cid) {
  state.open = cid;
  renderThread();
  const cidPath = encodeURIComponent(cid);
  const page = await api("GET", `/conversations/${cidPath}/messages?limit=50`);
  if (state.open !== cid) return;
  $("messages").replaceChildren();
  page.messages.sort((a, b) => a.serverSequence - b.serverSequence).forEach(appendMessage);
  markRead();
  renderList();
}

function renderThread() {
  $("compose").hidden = !state.open;
  $("messages").replaceChildren();
  renderThreadHead();
  renderList();
}

function renderThreadHead() {
  const conv = state.convs.get(state.open);
  $("thread-title").textContent = conv ? peerOf(conv) : "Pick a conversation";
  $("thread-presence").textContent = conv ? state.presence.get(peerOf(conv)) ?? "" : "";
  const typists = [...(state.typing.get(state.open) ?? [])];
  $("typing").textContent = typists.length ? `${typists.join(", ")} is typing…` : "";
}

const STATUS_TEXT = { sending: "sending…", delivered: "✓ delivered", read: "✓✓ read" };

function setStatus(li, status) {
  li.dataset.status = status;
  li.querySelector(".meta").textContent = STATUS_TEXT[status] ?? "";
}

// Shows message `m` (history's or `message:received`'s shape) once.
function appendMessage(m) {
  const list = $("messages");
  let li = list.querySelector(`li[data-id="${CSS.escape(m.messageId)}"]`);
  if (!li) {
    li = el("li", m.senderId === state.me ? "mine" : "theirs");
    li.dataset.id = m.messageId;
    li.append(el("span", "content", m.content), el("span", "meta"));
    list.append(li);
    list.scrollTop = list.scrollHeight;
  }
  if (m.serverSequence) li.dataset.seq = m.serverSequence;
  if (m.senderId === state.me && li.dataset.status !== "read") {
    setStatus(li, m.readBy?.length ? "read" : m.serverSequence ? "delivered" : "sending");
  } else {
    li.querySelector(".meta").textContent = new Date(m.serverTimestamp).toLocaleTimeString();
  }
}

// Someone who just typed or sent is connected, until presence says otherwise
// (presence:changed only tells of changes, so a peer's first state is a guess).
function seenActive(user) {
  if (user !== state.me && !state.presence.has(user)) state.presence.set(user, "online");
}

function received(m) {
  seenActive(m.senderId);
  const conv = state.convs.get(m.conversationId);
  if (!conv) return loadList().catch((e) => toast(e.message));
  conv.lastMessage = m;
  if (m.conversationId === state.open) {
    appendMessage(m);
    if (m.senderId !== state.me) markRead();
  }
  renderList();
}

// Marks the open conversation read up to the last message shown.
function markRead() {
  if (!state.open || document.visibilityState === "hidden") return;
  const last = $("messages").querySelector("li:last-child");
  const payload = { conversationId: state.open };
  if (last) payload.messageIds = [last.dataset.id];
  state.socket?.emit("message:read", payload, (ack) => {
    if (ack?.error) toast(ack.error.message);
  });
}

function readReceipt(d) {
  if (d.userId === state.me || d.conversationId !== state.open) return;
  for (const li of $("messages").querySelectorAll("li.mine")) {
    if (Number(li.dataset.seq) <= d.lastReadSequence) setStatus(li, "read");
  }
}

function send(event) {
  event.preventDefault();
  const input = $("text");
  const content = input.value;
  if (!content.trim() || !state.open) return;
  input.value = "";
  stopTyping();
  const m = { conversationId: state.open, messageId: randomId(), content };
  appendMessage({ ...m, senderId: state.me });
  const li = $("messages").querySelector(`li[data-id="${CSS.escape(m.messageId)}"]`);
  state.socket.emit("message:send", { ...m, clientTimestamp: Date.now() }, (ack) => {
    if (ack?.error) {
      li.querySelector(".meta").textContent = `failed: ${ack.error.message}`;
      return;
    }
    li.dataset.seq = ack.serverSequence;
    if (li.dataset.status === "sending") setStatus(li, "delivered");
  });
}

// ---- typing and presence -------------------------------------------------------

function typed() {
  if (!state.open) return;
  if (!$("text").value) return stopTyping();
  const now = Date.now();
  if (now - state.lastTypingSent > 2000) {
    state.lastTypingSent = now;
    state.socket?.emit("typing:start", { conversationId: state.open });
  }
}

function stopTyping() {
  if (!state.lastTypingSent || !state.open) return;
  state.lastTypingSent = 0;
  state.socket?.emit("typing:stop", { conversationId: state.open });
}

function typingIndicator(d) {
  seenActive(d.userId);
  const typists = state.typing.get(d.conversationId) ?? new Set();
  if (d.isTyping) typists.add(d.userId);
  else typists.delete(d.userId);
  state.typing.set(d.conversationId, typists);
  renderThreadHead();
  renderList();
}

// ---- wiring -------------------------------------------------------------------

$("signin-name").addEventListener("submit", (e) => signInByName(e).catch((x) => showSignIn(x.message)));
$("signin-token").addEventListener("submit", signInByToken);
$("signout").addEventListener("click", () => signOut());
$("start").addEventListener("submit", startConversation);
$("compose").addEventListener("submit", send);
$("text").addEventListener("input", typed);
$("text").addEventListener("blur", stopTyping);
$("status").addEventListener("change", (e) => state.socket?.emit("presence:update", { status: e.target.value }));
document.addEventListener("visibilitychange", () => markRead());

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) start(saved);
else if (typeof io !== "function") showSignIn("The Socket.IO client did not load from cdn.socket.io.");
