// What went wrong where operators can act on it: customer messages the assistant gave up on
// (dead letters: the customer already had the holding message; replay after a fix records
// the message without a second reply) and what WhatsApp said about the account or number.
import { html, useEffect, useState } from "../lib.js";
import { api, can, problemText, session } from "../api.js";
import { formatTime, t } from "../i18n.js";

export function ProblemsPage({ me }) {
  const [letters, setLetters] = useState([]);
  const [notices, setNotices] = useState([]);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  const base = `/v1/tenants/${encodeURIComponent(session.get().tenant_id)}`;
  const admin = can(me.role, "admin");

  async function load() {
    try {
      const [found, said] = await Promise.all([
        api(`${base}/dead-letters`),
        api(`${base}/whatsapp-notices`),
      ]);
      setLetters(found);
      setNotices(said);
      setError(null);
    } catch (failure) {
      setError(problemText(failure));
    }
  }
  useEffect(() => {
    load();
  }, []);

  async function replay(path, count) {
    try {
      await api(path, { method: "POST" });
      setDone(`${t("problems.replayed")} ${count}`);
      await load();
    } catch (failure) {
      setError(problemText(failure));
    }
  }

  const dead = letters.filter((l) => l.status === "dead");
  return html`<section class="problems">
    <h1>${t("problems.title")}</h1>
    <p class="hint">${t("problems.hint")}</p>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${done && html`<p class="ok" role="status">${done}</p>`}
    <h2>${t("problems.dead_letters")}</h2>
    ${admin && dead.length > 0 &&
    html`<button class="primary" onClick=${() => replay(`${base}/dead-letters/replay`, dead.length)}>
      ${t("problems.replay_all")} (${dead.length})
    </button>`}
    ${letters.length === 0
      ? html`<p class="empty">${t("problems.none")}</p>`
      : html`<div class="table-wrap"><table class="dead-letters">
          <thead><tr>
            <th scope="col">${t("problems.when")}</th>
            <th scope="col">${t("problems.error")}</th>
            <th scope="col">${t("problems.attempts")}</th>
            <th scope="col">${t("problems.status")}</th>
            <th></th>
          </tr></thead>
          <tbody>
            ${letters.map(
              (l) => html`<tr key=${l.id} data-id=${l.id}>
                <td data-label=${t("problems.when")}>${formatTime(l.last_failed_at)}</td>
                <td data-label=${t("problems.error")}><strong>${l.error_type}</strong> ${l.error}
                  ${l.conversation_id &&
                  html` · <a href=${`#/c/${l.conversation_id}`}>${t("problems.conversation")}</a>`}</td>
                <td data-label=${t("problems.attempts")}>${l.attempts}</td>
                <td data-label=${t("problems.status")}>${t(`problems.status_${l.status}`)}</td>
                <td>${admin && l.status === "dead" &&
                html`<button class="link" onClick=${() => replay(`${base}/dead-letters/${l.id}/replay`, 1)}>
                  ${t("problems.replay")}</button>`}</td>
              </tr>`,
            )}
          </tbody>
        </table></div>`}
    <h2>${t("problems.notices")}</h2>
    ${notices.length === 0
      ? html`<p class="empty">${t("problems.none")}</p>`
      : html`<ul class="notices">
          ${notices.map(
            (n) => html`<li key=${n.id}>${formatTime(n.received_at)} · <strong>${n.field}</strong>
              ${n.event ? ` ${n.event}` : ""} <code class="wrap">${JSON.stringify(n.notice)}</code></li>`,
          )}
        </ul>`}
  </section>`;
}
