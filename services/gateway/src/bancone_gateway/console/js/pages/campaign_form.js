// "New campaign" on the Campaigns page (admins): a name, a number, an approved template of that
// number's account, a value or a customer field for each of its {{n}}, the segment (languages,
// last contact, tags, bought / asked-about categories) and when: now, at a time, or a draft.
// The notifier checks everything; a 422 is shown as it names the fields.
import { html, useEffect, useState } from "../lib.js";
import { api, itemsOf, problemText } from "../api.js";
import { t } from "../i18n.js";
import { bodyOf, channelLabel, placeholdersOf, useChannels } from "../channels.js";

const FIELDS = ["", "name", "customer_id", "language"];
const LANGUAGES = ["it", "en", "es"];

/** "a, b ,c" → ["a", "b", "c"] (blank parts dropped). */
function listOf(text) {
  return String(text || "")
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
}

function VariableInput({ n, value, onChange }) {
  const field = value.field || "";
  return html`<fieldset class="variable" data-variable=${n}>
    <legend>{{${n}}}</legend>
    <label>${t("cf.variable_source")}
      <select name=${`var-${n}-field`} value=${field} onChange=${(e) => onChange({ ...value, field: e.target.value })}>
        ${FIELDS.map((f) => html`<option value=${f}>${t(f ? `cf.field_${f}` : "cf.fixed_value")}</option>`)}
      </select></label>
    <label>${field ? t("cf.fallback") : t("cf.value")}
      <input name=${`var-${n}-value`} value=${value.text || ""} onInput=${(e) => onChange({ ...value, text: e.target.value })} /></label>
  </fieldset>`;
}

function campaignBody(form, template, slots) {
  const segment = {};
  if (form.languages.length) segment.languages = form.languages;
  if (form.days) segment.contacted_within_days = Number(form.days);
  for (const [key, text] of [["tags", form.tags], ["bought_categories", form.bought], ["asked_categories", form.asked]]) {
    const values = listOf(text);
    if (values.length) segment[key] = values;
  }
  const variables = slots.map((n) => {
    const v = form.variables[n] || {};
    if (v.field) return v.text ? { field: v.field, fallback: v.text } : { field: v.field };
    return { value: v.text || "" };
  });
  const body = {
    name: form.name,
    phone_number_id: form.number,
    template: {
      name: template.name,
      language: template.language,
      category: String(template.category || "marketing").toLowerCase(),
      variables,
      placeholders: slots.length ? Math.max(...slots) : 0,
    },
    segment,
  };
  if (form.when === "now") body.send_now = true;
  if (form.when === "at" && form.at) body.send_at = new Date(form.at).toISOString();
  return body;
}

const EMPTY = { name: "", number: "", template: "", variables: {}, languages: [], days: "", tags: "", bought: "", asked: "", when: "now", at: "" };

export function CampaignForm({ onCreated }) {
  const channels = useChannels(true);
  const [templates, setTemplates] = useState([]);
  const [form, setForm] = useState(EMPTY);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (changes) => setForm({ ...form, ...changes });

  useEffect(() => {
    api("/templates")
      .then((found) => setTemplates(itemsOf(found)))
      .catch((failure) => setError(problemText(failure)));
  }, []);
  useEffect(() => {
    if (!form.number && channels.length) set({ number: channels[0].phone_number_id });
  }, [channels]);

  const channel = channels.find((c) => c.phone_number_id === form.number);
  const approved = templates.filter(
    (tpl) => String(tpl.status).toUpperCase() === "APPROVED" && (!channel || !channel.waba_id || tpl.waba_id === channel.waba_id),
  );
  const template = approved.find((tpl) => tpl.id === form.template);
  const slots = template ? placeholdersOf(bodyOf(template)) : [];

  async function submit(event) {
    event.preventDefault();
    if (!template) return;
    setBusy(true);
    try {
      const made = await api("/campaigns", { method: "POST", body: campaignBody(form, template, slots) });
      setForm({ ...EMPTY, number: form.number });
      setError(null);
      onCreated(made);
    } catch (failure) {
      setError(problemText(failure));
    } finally {
      setBusy(false);
    }
  }

  return html`<form class="card campaign-form" data-testid="campaign-form" onSubmit=${submit}>
    <h2>${t("cf.title")}</h2>
    <label>${t("campaigns.name")}
      <input name="name" required maxlength="200" value=${form.name} onInput=${(e) => set({ name: e.target.value })} /></label>
    <label>${t("tpl.number")}
      <select name="number" value=${form.number} onChange=${(e) => set({ number: e.target.value, template: "" })}>
        ${channels.map((c) => html`<option value=${c.phone_number_id}>${channelLabel(c)}</option>`)}
      </select></label>
    <label>${t("cf.template")}
      <select name="template" required value=${form.template} onChange=${(e) => set({ template: e.target.value, variables: {} })}>
        <option value="">—</option>
        ${approved.map((tpl) => html`<option value=${tpl.id}>${tpl.name} (${tpl.language})</option>`)}
      </select></label>
    ${approved.length === 0 && html`<p class="hint">${t("cf.no_approved")}</p>`}
    ${template && html`<p class="tpl-body" data-testid="campaign-template-body">${bodyOf(template)}</p>`}
    ${slots.map((n) => html`<${VariableInput} n=${n} value=${form.variables[n] || {}}
      onChange=${(v) => set({ variables: { ...form.variables, [n]: v } })} />`)}
    <fieldset class="segment">
      <legend>${t("cf.segment")}</legend>
      <p class="hint">${t("cf.segment_hint")}</p>
      <div class="inline">${t("cf.languages")}:
        ${LANGUAGES.map((code) => html`<label class="check"><input type="checkbox" name=${`lang-${code}`}
          checked=${form.languages.includes(code)}
          onChange=${(e) => set({ languages: e.target.checked ? [...form.languages, code] : form.languages.filter((l) => l !== code) })} /> ${code}</label>`)}
      </div>
      <label>${t("cf.days")}
        <input name="days" type="number" min="1" max="3650" value=${form.days} onInput=${(e) => set({ days: e.target.value })} /></label>
      <label>${t("cf.tags")} <input name="tags" value=${form.tags} onInput=${(e) => set({ tags: e.target.value })} /></label>
      <label>${t("cf.bought")} <input name="bought" value=${form.bought} onInput=${(e) => set({ bought: e.target.value })} /></label>
      <label>${t("cf.asked")} <input name="asked" value=${form.asked} onInput=${(e) => set({ asked: e.target.value })} /></label>
    </fieldset>
    <fieldset class="when">
      <legend>${t("campaigns.when")}</legend>
      ${["now", "at", "draft"].map((w) => html`<label class="check"><input type="radio" name="when" value=${w}
        checked=${form.when === w} onChange=${() => set({ when: w })} /> ${t(`cf.when_${w}`)}</label>`)}
      ${form.when === "at" && html`<input type="datetime-local" name="send_at" aria-label=${t("campaigns.when")} required
        value=${form.at} onInput=${(e) => set({ at: e.target.value })} />`}
    </fieldset>
    ${error && html`<pre class="error" role="alert" data-testid="campaign-error">${error}</pre>`}
    <button type="submit" class="primary" disabled=${busy || !template}>${t("cf.create")}</button>
  </form>`;
}
