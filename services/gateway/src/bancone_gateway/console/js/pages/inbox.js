import { html, useEffect, useState } from "../lib.js";
import { api, itemsOf } from "../api.js";
import { formatTime, t } from "../i18n.js";
import { pollWhileNotLive } from "../feed.js";
import { knownConversations, onConversations, rememberAll } from "../store.js";

const FILTERS = {
  waiting: ["waiting_for_human"],
  human: ["waiting_for_human", "human"],
  all: ["waiting_for_human", "human", "bot", "resolved"],
};

function ordered(items) {
  return [...items].sort((a, b) => {
    const wa = a.state === "waiting_for_human" ? 0 : 1;
    const wb = b.state === "waiting_for_human" ? 0 : 1;
    if (wa !== wb) return wa - wb;
    return String(b.updated_at).localeCompare(String(a.updated_at));
  });
}

export function InboxPage() {
  const [filter, setFilter] = useState("human");
  const [query, setQuery] = useState("");
  const [, setVersion] = useState(0);
  const [cursor, setCursor] = useState(null);
  const [error, setError] = useState(null);
  const [loaded, setLoaded] = useState(false);

  async function load(after) {
    try {
      const answer = await api("/conversations", {
        query: { state: FILTERS[filter], q: query || null, cursor: after, limit: 50 },
      });
      rememberAll(itemsOf(answer));
      setCursor((answer && answer.next_cursor) || null);
      setError(null);
    } catch (failure) {
      setError(failure.message);
    } finally {
      setLoaded(true);
    }
  }

  useEffect(() => onConversations(() => setVersion((n) => n + 1)), []);
  useEffect(() => {
    const timer = setTimeout(() => load(null), query ? 250 : 0);
    const stopPolling = pollWhileNotLive(() => load(null));
    return () => {
      clearTimeout(timer);
      stopPolling();
    };
  }, [filter, query]);

  const needle = query.trim().toLowerCase();
  const shown = ordered(
    knownConversations().filter(
      (c) =>
        FILTERS[filter].includes(c.state) &&
        (!needle ||
          String(c.customer_id).includes(needle) ||
          String(c.last_message || "").toLowerCase().includes(needle)),
    ),
  );

  return html`<section class="inbox" aria-labelledby="inbox-title">
    <div class="bar">
      <h1 id="inbox-title">${t("inbox.title")}</h1>
      <div class="tabs" role="tablist">
        ${Object.keys(FILTERS).map(
          (name) => html`<button role="tab" aria-selected=${filter === name}
            onClick=${() => setFilter(name)}>${t(`inbox.${name}`)}</button>`,
        )}
      </div>
      <input type="search" aria-label=${t("inbox.search")} placeholder=${t("inbox.search")}
        value=${query} onInput=${(e) => setQuery(e.target.value)} />
    </div>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${loaded && !shown.length && html`<p class="empty">${t("inbox.empty")}</p>`}
    <ul class="conversations" data-testid="inbox-list">
      ${shown.map(
        (c) => html`<li key=${c.id} class=${`state-${c.state}`} data-conversation=${c.id}
          data-customer=${c.customer_id}>
          <a href=${`#/c/${c.id}`}>
            <span class="customer">+${c.customer_id}</span>
            <span class=${`badge state state-${c.state}`}>${t(`state.${c.state}`)}</span>
            ${c.unread > 0 &&
            html`<span class="badge unread" title=${t("inbox.unread")}>${c.unread}</span>`}
            <span class="preview">${c.last_message || c.escalation_reason || ""}</span>
            <time datetime=${c.updated_at}>${formatTime(c.updated_at)}</time>
          </a>
        </li>`,
      )}
    </ul>
    ${cursor && html`<button onClick=${() => load(cursor)}>${t("inbox.more")}</button>`}
  </section>`;
}
