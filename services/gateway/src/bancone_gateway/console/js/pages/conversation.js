import { html, useEffect, useRef, useState } from "../lib.js";
import { api, can, itemsOf } from "../api.js";
import { onFeedEvent, pollWhileNotLive } from "../feed.js";
import { formatTime, t } from "../i18n.js";
import { remember } from "../store.js";

const TICKS = { queued: "🕓", sent: "✓", delivered: "✓✓", read: "✓✓", failed: "✗" };

function Ticks({ status }) {
  if (!status) return null;
  return html`<span class=${`ticks ticks-${status}`} title=${status} data-status=${status}
    >${TICKS[status] || status}</span
  >`;
}

function Message({ m }) {
  const sender = m.is_note ? "note" : m.sender || (m.direction === "in" ? "customer" : "ai");
  return html`<li class=${`msg msg-${m.direction} msg-${sender}`} data-sender=${sender}
    data-note=${m.is_note ? "true" : null}>
    <div class="meta">
      <span>${t(`conv.sender.${m.sender || "system"}`)}</span>
      ${m.is_note && html`<span class="badge note">${t("conv.note_badge")}</span>`}
      ${m.operator_id && html`<span class="op">${m.operator_id.slice(0, 8)}</span>`}
      <time datetime=${m.created_at}>${formatTime(m.created_at)}</time>
      ${!m.is_note && m.direction === "out" && html`<${Ticks} status=${m.delivery_status} />`}
    </div>
    <p class="text">${m.text || `[${m.kind}]`}</p>
    ${m.template_needed &&
    html`<p class="template-needed" data-testid="template-needed" role="note">${t("conv.template_needed")}</p>`}
    ${!m.template_needed && m.delivery_status === "failed" && m.delivery_error &&
    html`<p class="delivery-error"><small>${t("conv.not_delivered")}: ${m.delivery_error}</small></p>`}
  </li>`;
}

export function ConversationPage({ id, me }) {
  const [conversation, setConversation] = useState(null);
  const [messages, setMessages] = useState([]);
  const [cursor, setCursor] = useState(null);
  const [reply, setReply] = useState("");
  const [note, setNote] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const bottom = useRef(null);
  const path = `/conversations/${encodeURIComponent(id)}`;

  async function loadConversation() {
    const found = await api(path);
    setConversation(found);
    remember(found);
    return found;
  }

  async function loadMessages(found) {
    try {
      const page = await api(`${path}/messages`, { query: { limit: 50 } });
      setMessages(itemsOf(page).slice().reverse());
      setCursor(page.next_cursor || null);
    } catch (failure) {
      // An agent without the messages route yet: the conversation carries its latest ones.
      if (failure.status === 404 || failure.status === 405) setMessages(found.messages || []);
      else throw failure;
    }
  }

  async function refresh() {
    try {
      await loadMessages(await loadConversation());
      setError(null);
    } catch (failure) {
      setError(failure.message);
    }
  }

  async function older() {
    const page = await api(`${path}/messages`, { query: { limit: 50, cursor } });
    setMessages([...itemsOf(page).slice().reverse(), ...messages]);
    setCursor(page.next_cursor || null);
  }

  useEffect(() => {
    refresh();
    const stopPolling = pollWhileNotLive(refresh);
    const stopListening = onFeedEvent((event) => {
      const data = event.data || {};
      const about = data.conversation_id || (data.conversation || {}).id;
      if (about === id) refresh();
    });
    return () => {
      stopPolling();
      stopListening();
    };
  }, [id]);
  useEffect(() => {
    if (bottom.current && bottom.current.scrollIntoView) bottom.current.scrollIntoView();
  }, [messages.length]);

  async function act(action, body) {
    setBusy(true);
    try {
      const answer = await api(`${path}/${action}`, { method: "POST", body });
      if (answer && answer.id && answer.state) {
        setConversation({ ...conversation, ...answer });
        remember(answer);
      }
      setError(null);
      await refresh();
      return true;
    } catch (failure) {
      setError(failure.problem.detail || failure.problem.title || failure.message);
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function send(event) {
    event.preventDefault();
    if (!reply.trim()) return;
    if (await act("replies", { text: reply })) setReply("");
  }

  async function addNote(event) {
    event.preventDefault();
    if (!note.trim()) return;
    if (await act("notes", { text: note })) setNote("");
  }

  if (!conversation) {
    return html`<section>
      <a href="#/inbox">← ${t("conv.back")}</a>
      ${error ? html`<p class="error" role="alert">${error}</p>` : html`<p>${t("common.loading")}</p>`}
    </section>`;
  }
  const c = conversation;
  const holder = c.assigned_to || c.operator_id;
  const mayAct = can(me.role, "agent");
  const replying = mayAct && c.state === "human";
  // The agent refuses a free-form reply 24 h after the customer's last message (409
  // template-needed): say so before the operator types.
  const windowClosed = c.window_open === false;
  return html`<section class="conversation" data-state=${c.state}>
    <div class="bar">
      <a href="#/inbox">← ${t("conv.back")}</a>
      <h1>+${c.customer_id}</h1>
      <span class=${`badge state state-${c.state}`} data-testid="conversation-state"
        >${t(`state.${c.state}`)}</span
      >
      ${holder && html`<span class="held">${t("conv.held_by")} ${holder === me.operator_id ? t("team.you") : holder.slice(0, 8)}</span>`}
    </div>
    ${mayAct &&
    html`<div class="actions">
      ${c.state !== "human" && c.state !== "resolved" &&
      html`<button class="primary" disabled=${busy} data-action="takeover" onClick=${() => act("takeover")}>${t("conv.takeover")}</button>`}
      ${c.state === "human" &&
      html`<button disabled=${busy} data-action="handback" onClick=${() => act("handback")}>${t("conv.handback")}</button>`}
      ${c.state !== "resolved" &&
      html`<button disabled=${busy} data-action="resolve" onClick=${() => act("resolve")}>${t("conv.resolve")}</button>`}
      ${c.state === "resolved" &&
      html`<button disabled=${busy} data-action="reopen" onClick=${() => act("reopen")}>${t("conv.reopen")}</button>`}
    </div>`}
    ${error && html`<p class="error" role="alert" data-testid="conversation-error">${error}</p>`}
    ${cursor && html`<button class="link" onClick=${older}>${t("conv.older")}</button>`}
    <ol class="messages" data-testid="messages" aria-live="polite">
      ${messages.map((m, i) => html`<${Message} key=${m.id || i} m=${m} />`)}
    </ol>
    <div ref=${bottom}></div>
    ${!mayAct && html`<p class="hint" data-testid="viewer-hint">${t("conv.viewer")}</p>`}
    ${mayAct && !replying && c.state !== "resolved" && html`<p class="hint">${t("conv.take_first")}</p>`}
    ${mayAct && windowClosed && html`<p class="hint warn" data-testid="window-closed" role="status">${t("conv.window_closed")}</p>`}
    ${replying &&
    html`<form class="composer" onSubmit=${send} data-testid="reply-form" data-window=${windowClosed ? "closed" : "open"}>
      <label class="sr-only" for="reply">${t("conv.reply")}</label>
      <textarea id="reply" rows="3" maxlength="4096" disabled=${windowClosed}
        placeholder=${windowClosed ? t("conv.window_closed_placeholder") : t("conv.reply_placeholder")}
        value=${reply} onInput=${(e) => setReply(e.target.value)}
        onKeyDown=${(e) => {
          if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) send(e);
        }}></textarea>
      <button type="submit" class="primary" disabled=${busy || windowClosed || !reply.trim()}>${t("conv.send")}</button>
    </form>`}
    ${mayAct &&
    html`<details class="notes">
      <summary>${t("conv.note")}</summary>
      <form class="composer" onSubmit=${addNote}>
        <label class="sr-only" for="note">${t("conv.note")}</label>
        <textarea id="note" rows="2" maxlength="4096" placeholder=${t("conv.note_placeholder")}
          value=${note} onInput=${(e) => setNote(e.target.value)}></textarea>
        <button type="submit" disabled=${busy || !note.trim()}>${t("conv.add_note")}</button>
      </form>
    </details>`}
  </section>`;
}
