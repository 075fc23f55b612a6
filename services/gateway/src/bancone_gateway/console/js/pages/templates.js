// Message templates (the notifier's `/templates`, per WhatsApp number): Meta's status (APPROVED,
// PENDING, REJECTED with its reason, PAUSED, ...) and quality (GREEN, YELLOW, RED); admins
// write a new one (name, language, category, body with {{1}}.. and an example for each), sync
// the list from Meta now, or delete one (every language). Viewers read.
import { html, useEffect, useState } from "../lib.js";
import { api, can, itemsOf, problemText } from "../api.js";
import { formatTime, t } from "../i18n.js";
import { bodyOf, channelLabel, placeholdersOf, useChannels } from "../channels.js";

const CATEGORIES = ["marketing", "utility", "authentication"];

function Status({ template }) {
  const status = String(template.status || "").toUpperCase();
  return html`<span class=${`badge tpl-${status.toLowerCase()}`} data-status=${status}>${status}</span>
    ${template.reason && status !== "APPROVED" &&
    html`<br /><small class="error" data-reason>${t("tpl.reason")}: ${template.reason}</small>`}`;
}

function Quality({ score }) {
  if (!score) return html`<span class="hint">—</span>`;
  const value = String(score).toUpperCase();
  return html`<span class=${`quality quality-${value.toLowerCase()}`} data-quality=${value}>${value}</span>`;
}

function NewTemplate({ number, onSaved }) {
  const [name, setName] = useState("");
  const [language, setLanguage] = useState("it");
  const [category, setCategory] = useState("marketing");
  const [body, setBody] = useState("");
  const [examples, setExamples] = useState({});
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const slots = placeholdersOf(body);

  async function save(event) {
    event.preventDefault();
    const component = { type: "BODY", text: body };
    if (slots.length) component.example = { body_text: [slots.map((n) => examples[n] || "")] };
    setBusy(true);
    try {
      await api("/templates", {
        method: "POST",
        body: { phone_number_id: number, name, language, category, components: [component] },
      });
      setName("");
      setBody("");
      setExamples({});
      setError(null);
      onSaved(name);
    } catch (failure) {
      setError(problemText(failure));
    } finally {
      setBusy(false);
    }
  }

  return html`<form class="card" data-testid="template-form" onSubmit=${save}>
    <h2>${t("tpl.new")}</h2>
    <label>${t("tpl.name")} <small class="hint">${t("tpl.name_hint")}</small>
      <input name="name" required value=${name} onInput=${(e) => setName(e.target.value)} /></label>
    <label>${t("tpl.language")}
      <input name="language" required value=${language} onInput=${(e) => setLanguage(e.target.value)} /></label>
    <label>${t("tpl.category")}
      <select name="category" value=${category} onChange=${(e) => setCategory(e.target.value)}>
        ${CATEGORIES.map((c) => html`<option value=${c}>${t(`tpl.category_${c}`)}</option>`)}
      </select></label>
    <label>${t("tpl.body")} <small class="hint">${t("tpl.body_hint")}</small>
      <textarea name="body" rows="4" required value=${body} onInput=${(e) => setBody(e.target.value)}></textarea></label>
    ${slots.map(
      (n) => html`<label>${t("tpl.example_for")} {{${n}}}
        <input name=${`example-${n}`} required value=${examples[n] || ""}
          onInput=${(e) => setExamples({ ...examples, [n]: e.target.value })} /></label>`,
    )}
    ${error && html`<pre class="error" role="alert" data-testid="template-error">${error}</pre>`}
    <button type="submit" class="primary" disabled=${busy || !number}>${t("tpl.submit")}</button>
  </form>`;
}

export function TemplatesPage({ me }) {
  const admin = can(me.role, "admin");
  const channels = useChannels(admin);
  const [number, setNumber] = useState("");
  const [items, setItems] = useState(null);
  const [error, setError] = useState(null);
  const [message, setMessage] = useState(null);
  const [deleting, setDeleting] = useState(null);

  async function load() {
    try {
      setItems(itemsOf(await api("/templates")));
      setError(null);
    } catch (failure) {
      setError(problemText(failure));
    }
  }
  useEffect(() => {
    load();
  }, []);
  useEffect(() => {
    if (!number && channels.length) setNumber(channels[0].phone_number_id);
  }, [channels]);

  async function sync() {
    try {
      setItems(itemsOf(await api("/templates:sync", { method: "POST", body: { phone_number_id: number } })));
      setMessage(t("tpl.synced"));
      setError(null);
    } catch (failure) {
      setError(problemText(failure));
    }
  }

  async function remove(name) {
    try {
      await api(`/templates/${encodeURIComponent(name)}`, { method: "DELETE", query: { phone_number_id: number } });
      setDeleting(null);
      setMessage(`${t("tpl.deleted")} ${name}`);
      await load();
    } catch (failure) {
      setError(problemText(failure));
    }
  }

  return html`<section class="templates">
    <h1>${t("tpl.title")}</h1>
    <p class="hint">${t("tpl.hint")}</p>
    ${admin &&
    html`<div class="inline">
      <label>${t("tpl.number")}
        <select name="number" value=${number} onChange=${(e) => setNumber(e.target.value)}>
          ${channels.map((c) => html`<option value=${c.phone_number_id}>${channelLabel(c)}</option>`)}
        </select></label>
      <button data-action="sync" disabled=${!number} onClick=${sync}>${t("tpl.sync")}</button>
    </div>`}
    ${error && html`<pre class="error" role="alert">${error}</pre>`}
    ${message && html`<p class="ok" role="status">${message}</p>`}
    ${items && items.length === 0 && html`<p class="empty">${t("tpl.none")}</p>`}
    ${items && items.length > 0 &&
    html`<div class="table-wrap"><table data-testid="templates">
      <thead><tr>
        <th scope="col">${t("tpl.name")}</th><th scope="col">${t("tpl.language")}</th>
        <th scope="col">${t("tpl.category")}</th><th scope="col">${t("tpl.status")}</th>
        <th scope="col">${t("tpl.quality")}</th><th scope="col">${t("tpl.body")}</th><th></th>
      </tr></thead>
      <tbody>
        ${items.map((tpl) => html`<tr key=${tpl.id} data-template=${tpl.name} data-language=${tpl.language}>
          <td data-label=${t("tpl.name")}><strong>${tpl.name}</strong></td>
          <td data-label=${t("tpl.language")}>${tpl.language}</td>
          <td data-label=${t("tpl.category")}>${tpl.category}</td>
          <td data-label=${t("tpl.status")}><${Status} template=${tpl} />
            <br /><small class="hint">${formatTime(tpl.status_changed_at)}</small></td>
          <td data-label=${t("tpl.quality")}><${Quality} score=${tpl.quality_score} /></td>
          <td data-label=${t("tpl.body")}><span class="tpl-body">${bodyOf(tpl)}</span></td>
          <td>${admin &&
          (deleting === tpl.name
            ? html`<button class="danger" data-action="confirm-delete" onClick=${() => remove(tpl.name)}>${t("tpl.confirm_delete")}</button>
                <button class="link" onClick=${() => setDeleting(null)}>${t("orders.no")}</button>`
            : html`<button class="link danger" data-action="delete" onClick=${() => setDeleting(tpl.name)}>${t("tpl.delete")}</button>`)}</td>
        </tr>`)}
      </tbody>
    </table></div>`}
    ${admin && html`<${NewTemplate} number=${number} onSaved=${(name) => {
      setMessage(`${t("tpl.created")} ${name}`);
      load();
    }} />`}
    ${!admin && html`<p class="hint">${t("tpl.viewer")}</p>`}
  </section>`;
}
