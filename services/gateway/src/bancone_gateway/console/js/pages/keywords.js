// The tenant's consent keywords (notifier `/consent/keywords`): a message that is only one of
// these phrases opts the customer out of marketing (or back in). The defaults show until the
// shop saves its own list; the notifier refuses a phrase that could never match (422).
import { html, useEffect, useState } from "../lib.js";
import { api, problemText } from "../api.js";
import { t } from "../i18n.js";

const ACTIONS = ["opt_out", "opt_in"];
const LANGUAGES = ["it", "en", "es"];

/** The list whatever its wrapping: a bare list, `{keywords: [...]}` or `{items: [...]}`. */
function keywordsOf(answer) {
  if (Array.isArray(answer)) return answer;
  return (answer && (answer.keywords || answer.items)) || [];
}

export function KeywordsEditor({ admin }) {
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  const [message, setMessage] = useState(null);

  async function load() {
    try {
      setRows(keywordsOf(await api("/consent/keywords")).map((k) => ({ phrase: k.phrase, action: k.action, language: k.language })));
      setError(null);
    } catch (failure) {
      setError(problemText(failure));
    }
  }
  useEffect(() => {
    load();
  }, []);

  function change(i, field, value) {
    setRows(rows.map((row, n) => (n === i ? { ...row, [field]: value } : row)));
  }

  async function save(event) {
    event.preventDefault();
    try {
      const saved = await api("/consent/keywords", { method: "PUT", body: { keywords: rows } });
      if (keywordsOf(saved).length || Array.isArray(saved)) setRows(keywordsOf(saved));
      setMessage(t("kw.saved"));
      setError(null);
    } catch (failure) {
      setMessage(null);
      setError(problemText(failure));
    }
  }

  if (!rows) return error ? html`<p class="error">${error}</p>` : null;
  return html`<form class="card keywords" data-testid="keywords" onSubmit=${save}>
    <h2>${t("kw.title")}</h2>
    <p class="hint">${t("kw.hint")}</p>
    <table><thead><tr><th scope="col">${t("kw.phrase")}</th><th scope="col">${t("kw.action")}</th><th scope="col">${t("kw.language")}</th><th></th></tr></thead>
      <tbody>
        ${rows.map((row, i) => html`<tr key=${i} data-keyword=${row.phrase}>
          <td><input aria-label=${t("kw.phrase")} value=${row.phrase} disabled=${!admin} onInput=${(e) => change(i, "phrase", e.target.value)} /></td>
          <td><select aria-label=${t("kw.action")} value=${row.action} disabled=${!admin} onChange=${(e) => change(i, "action", e.target.value)}>
            ${ACTIONS.map((a) => html`<option value=${a}>${t(`cust.action_${a}`)}</option>`)}</select></td>
          <td><select aria-label=${t("kw.language")} value=${row.language} disabled=${!admin} onChange=${(e) => change(i, "language", e.target.value)}>
            ${LANGUAGES.map((l) => html`<option value=${l}>${l}</option>`)}</select></td>
          <td>${admin && html`<button type="button" class="link danger" onClick=${() => setRows(rows.filter((_, n) => n !== i))}>${t("kw.remove")}</button>`}</td>
        </tr>`)}
      </tbody></table>
    ${error && html`<pre class="error" role="alert" data-testid="keywords-error">${error}</pre>`}
    ${message && html`<p class="ok" role="status">${message}</p>`}
    ${admin && html`<div class="actions">
      <button type="button" onClick=${() => setRows([...rows, { phrase: "", action: "opt_out", language: "it" }])}>${t("kw.add")}</button>
      <button type="submit" class="primary">${t("kw.save")}</button>
    </div>`}
  </form>`;
}
