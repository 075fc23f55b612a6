// Campaigns (the notifier's): each with its state and live progress; admins write a new one
// (`campaign_form.js`), confirm a draft (send now), pause, resume or cancel. Drafts also come
// from new catalog offers when the tenant switched that on.
import { html, useEffect, useState } from "../lib.js";
import { api, can, itemsOf, problemText, session } from "../api.js";
import { formatTime, t } from "../i18n.js";
import { CampaignForm } from "./campaign_form.js";

function stateName(state) {
  const names = {
    draft: t("campaigns.state_draft"),
    scheduled: t("campaigns.state_scheduled"),
    running: t("campaigns.state_running"),
    paused: t("campaigns.state_paused"),
    completed: t("campaigns.state_completed"),
    cancelled: t("campaigns.state_cancelled"),
  };
  return names[state] || state;
}

// Recipients queued again after a retryable failure (also counted in "queued"): how many, by
// how many of their attempts failed, and when the first may be tried again.
function Retrying({ campaign }) {
  if (!campaign.retrying) return null;
  const attempts = Object.entries(campaign.retry_attempts || {})
    .map(([failed, n]) => `${failed} ${t("campaigns.failed_attempts")}: ${n}`)
    .join(", ");
  const next = campaign.next_retry_at ? `; ${t("campaigns.next_try")} ${formatTime(campaign.next_retry_at)}` : "";
  return html`<span class="count" data-testid="campaign-retrying" data-retrying=${campaign.retrying}>
    ${t("campaigns.retrying")}: ${campaign.retrying} <small>(${attempts}${next})</small>
  </span>`;
}

function Counts({ campaign }) {
  const counts = campaign.counts || {};
  const shown = [
    ["queued", t("campaigns.queued")],
    ["sent", t("campaigns.sent")],
    ["delivered", t("campaigns.delivered")],
    ["read", t("campaigns.read")],
    ["failed", t("campaigns.failed")],
    ["skipped", t("campaigns.skipped")],
    ["unknown", t("campaigns.unknown")],
  ];
  const reasons = Object.entries(campaign.skipped || {});
  return html`<span>
    ${shown.filter(([key]) => counts[key]).map(([key, label]) => html`<span class="count">${label}: ${counts[key]} </span>`)}
    <${Retrying} campaign=${campaign} />
    ${campaign.audience != null && html`<span class="count">${t("campaigns.audience")}: ${campaign.audience}</span>`}
    ${reasons.length > 0 && html`<small> (${reasons.map(([why, n]) => `${why}: ${n}`).join(", ")})</small>`}
  </span>`;
}

export function CampaignsPage({ me }) {
  const [items, setItems] = useState([]);
  const [error, setError] = useState(null);
  const [message, setMessage] = useState(null);
  const base = `/v1/tenants/${encodeURIComponent(session.get().tenant_id)}/campaigns`;
  const admin = can(me.role, "admin");

  async function load() {
    try {
      setItems(itemsOf(await api(base)));
      setError(null);
    } catch (failure) {
      setError(problemText(failure));
    }
  }
  useEffect(() => {
    load();
    const timer = setInterval(load, 5000);
    return () => clearInterval(timer);
  }, []);

  async function act(id, action, body) {
    try {
      await api(`${base}/${id}/${action}`, { method: "POST", body });
      await load();
    } catch (failure) {
      setError(problemText(failure));
    }
  }

  function actions(c) {
    if (!admin) return null;
    const buttons = [];
    if (c.state === "draft") buttons.push(html`<button class="primary" onClick=${() => act(c.id, "schedule", {})}>${t("campaigns.send_now")}</button>`);
    if (c.state === "scheduled" || c.state === "running") buttons.push(html`<button onClick=${() => act(c.id, "pause")}>${t("campaigns.pause")}</button>`);
    if (c.state === "paused") buttons.push(html`<button onClick=${() => act(c.id, "resume")}>${t("campaigns.resume")}</button>`);
    if (!["completed", "cancelled"].includes(c.state)) buttons.push(html`<button class="danger" onClick=${() => act(c.id, "cancel")}>${t("campaigns.cancel")}</button>`);
    return buttons;
  }

  return html`<section class="campaigns">
    <h1>${t("campaigns.title")}</h1>
    <p class="hint">${t("campaigns.hint")}</p>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${message && html`<p class="ok" role="status" data-testid="campaign-created">${message}</p>`}
    ${items.length === 0
      ? html`<p class="empty">${t("campaigns.none")}</p>`
      : html`<div class="table-wrap"><table>
          <thead><tr>
            <th scope="col">${t("campaigns.name")}</th>
            <th scope="col">${t("campaigns.state")}</th>
            <th scope="col">${t("campaigns.when")}</th>
            <th scope="col">${t("campaigns.progress")}</th>
            <th scope="col"></th>
          </tr></thead>
          <tbody>
            ${items.map((c) => html`<tr data-campaign=${c.id}>
              <td>${c.name}<br /><small>${c.template && c.template.name}</small></td>
              <td data-state=${c.state}>${stateName(c.state)}</td>
              <td>${c.send_at ? formatTime(c.send_at) : ""}</td>
              <td><${Counts} campaign=${c} /></td>
              <td>${actions(c)}</td>
            </tr>`)}
          </tbody>
        </table></div>`}
    ${admin && html`<${CampaignForm} onCreated=${(made) => {
      setMessage(`${t("cf.created")} ${made.name}`);
      load();
    }} />`}
  </section>`;
}
