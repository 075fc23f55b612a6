// One customer (notifier `/customers/{id}`): consent with its history (action, source, proof,
// when), and for admins: record an opt-in with its proof (a web form, the till, ...), opt out,
// and edit the tags campaigns can select.
import { html, useEffect, useState } from "../lib.js";
import { api, can, problemText } from "../api.js";
import { formatTime, t } from "../i18n.js";

export function ConsentBadge({ consent }) {
  return html`<span class=${`badge consent-${consent}`} data-consent=${consent}>${t(`cust.consent_${consent || "none"}`)}</span>`;
}

export function Interests({ interests }) {
  const bought = (interests && interests.bought) || [];
  const asked = (interests && interests.asked) || [];
  if (!bought.length && !asked.length) return html`<span class="hint">—</span>`;
  return html`<span>
    ${bought.length > 0 && html`<span>${t("cust.bought")}: ${bought.join(", ")}</span>`}
    ${bought.length > 0 && asked.length > 0 && html`<br />`}
    ${asked.length > 0 && html`<span>${t("cust.asked")}: ${asked.join(", ")}</span>`}
  </span>`;
}

const SOURCES = ["console", "web_form", "till", "import"];

function requestId() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

function History({ entries }) {
  if (!entries.length) return html`<p class="hint">${t("cust.no_history")}</p>`;
  return html`<ol class="consent-history" data-testid="consent-history">
    ${entries.map((h) => html`<li data-action=${h.action}>
      <strong>${t(`cust.action_${h.action}`)}</strong> · ${h.source} · <time datetime=${h.at}>${formatTime(h.at)}</time>
      ${h.proof && html`<br /><small class="proof">${h.proof}</small>`}
    </li>`)}
  </ol>`;
}

export function CustomerPage({ me, id }) {
  const admin = can(me.role, "admin");
  const path = `/customers/${encodeURIComponent(id)}`;
  const [customer, setCustomer] = useState(null);
  const [source, setSource] = useState("console");
  const [proof, setProof] = useState("");
  const [tags, setTags] = useState("");
  const [error, setError] = useState(null);
  const [message, setMessage] = useState(null);

  async function load() {
    try {
      const found = await api(path);
      setCustomer(found);
      setTags((found.tags || []).join(", "));
      setError(null);
    } catch (failure) {
      setError(problemText(failure));
    }
  }
  useEffect(() => {
    load();
  }, [id]);

  async function consent(action, event) {
    if (event) event.preventDefault();
    const body = { action, source, request_id: requestId() };
    if (action === "opt_in" || proof.trim()) body.proof = proof.trim();
    try {
      await api(`${path}/consent`, { method: "POST", body });
      setProof("");
      setMessage(t(`cust.done_${action}`));
      await load();
    } catch (failure) {
      setMessage(null);
      setError(problemText(failure));
    }
  }

  async function saveTags(event) {
    event.preventDefault();
    const list = tags.split(",").map((tg) => tg.trim().toLowerCase()).filter(Boolean);
    try {
      await api(`${path}/tags`, { method: "PUT", body: { tags: list } });
      setMessage(t("cust.tags_saved"));
      await load();
    } catch (failure) {
      setMessage(null);
      setError(problemText(failure));
    }
  }

  return html`<section class="customer-page" data-testid="customer">
    <a href="#/customers">← ${t("cust.back")}</a>
    <h1>+${id}</h1>
    ${error && html`<pre class="error" role="alert" data-testid="customer-error">${error}</pre>`}
    ${message && html`<p class="ok" role="status">${message}</p>`}
    ${customer &&
    html`<dl class="order-facts">
      <dt>${t("cust.name")}</dt><dd>${customer.name || "—"}</dd>
      <dt>${t("cust.language")}</dt><dd>${customer.language || "—"}</dd>
      <dt>${t("cust.consent")}</dt><dd data-testid="customer-consent"><${ConsentBadge} consent=${customer.consent} /></dd>
      <dt>${t("cust.tags")}</dt><dd data-testid="customer-tags">${(customer.tags || []).map((tg) => html`<span class="badge tag" data-tag=${tg}>${tg}</span> `)}</dd>
      <dt>${t("cust.last_contact")}</dt><dd>${formatTime(customer.last_inbound_at)} · ${customer.window_open ? t("cust.window_open") : t("cust.window_closed")}</dd>
      <dt>${t("cust.interests")}</dt><dd><${Interests} interests=${customer.interests} /></dd>
    </dl>
    <h2>${t("cust.history")}</h2>
    <${History} entries=${customer.consent_history || []} />
    ${admin &&
    html`<form class="card" data-testid="consent-form" onSubmit=${(e) => consent("opt_in", e)}>
      <h2>${t("cust.record_consent")}</h2>
      <label>${t("cust.source")}
        <select name="source" value=${source} onChange=${(e) => setSource(e.target.value)}>
          ${SOURCES.map((s) => html`<option value=${s}>${t(`cust.source_${s}`)}</option>`)}
        </select></label>
      <label>${t("cust.proof")} <small class="hint">${t("cust.proof_hint")}</small>
        <textarea name="proof" rows="2" value=${proof} onInput=${(e) => setProof(e.target.value)}></textarea></label>
      <div class="actions">
        <button type="submit" class="primary" data-action="opt-in">${t("cust.opt_in")}</button>
        <button type="button" class="danger" data-action="opt-out" onClick=${() => consent("opt_out")}>${t("cust.opt_out")}</button>
      </div>
    </form>
    <form class="card inline" data-testid="tags-form" onSubmit=${saveTags}>
      <label>${t("cust.tags")} <small class="hint">${t("cust.tags_hint")}</small>
        <input name="tags" value=${tags} onInput=${(e) => setTags(e.target.value)} /></label>
      <button type="submit">${t("cust.save_tags")}</button>
    </form>`}`}
  </section>`;
}
