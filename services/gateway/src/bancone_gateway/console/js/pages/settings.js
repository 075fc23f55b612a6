// Assistant settings (agent `/assistant-config`): the main fields as a form, the whole
// configuration as JSON (both edit the same document), save as a new version on the version
// shown (409 when someone saved first), version history, diff of two versions, roll back.
import { html, useEffect, useState } from "../lib.js";
import { api, can, itemsOf, problemText } from "../api.js";
import { LANGUAGES, formatTime, t } from "../i18n.js";

/** The fields the form shows: [name, kind, step]. The rest is edited in the JSON. */
const FIELDS = [
  ["shop_name", "text"],
  ["default_language", "language"],
  ["temperature", "number", "0.1"],
  ["max_tokens", "number", "1"],
  ["persona", "long"],
  ["business_context", "long"],
];

function parsed(text) {
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/** `{field: message}` of a 422's errors (`config.max_tokens` → `max_tokens`). */
function fieldErrorsOf(failure) {
  const found = {};
  for (const e of (failure.problem && failure.problem.errors) || []) {
    const name = String(e.field || "").replace(/^config\./, "");
    if (name) found[name] = e.message || e.detail || "";
  }
  return found;
}

function FieldInput({ name, kind, step, value, disabled, invalid, onValue }) {
  const id = `cfg-${name}`;
  const common = { id, name, disabled, "aria-invalid": invalid ? "true" : undefined };
  if (kind === "long") {
    return html`<textarea ...${common} rows=${name === "persona" ? 3 : 6} value=${value ?? ""}
      onInput=${(e) => onValue(e.target.value)}></textarea>`;
  }
  if (kind === "language") {
    return html`<select ...${common} value=${value ?? ""} onChange=${(e) => onValue(e.target.value)}>
      ${LANGUAGES.map(([code, label]) => html`<option value=${code}>${label}</option>`)}
    </select>`;
  }
  if (kind === "number") {
    return html`<input ...${common} type="number" step=${step} value=${value ?? ""}
      onInput=${(e) => onValue(e.target.value === "" ? null : Number(e.target.value))} />`;
  }
  return html`<input ...${common} type="text" value=${value ?? ""} onInput=${(e) => onValue(e.target.value)} />`;
}

export function SettingsPage({ me }) {
  const [current, setCurrent] = useState(null);
  const [text, setText] = useState("");
  const [versions, setVersions] = useState([]);
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [diff, setDiff] = useState(null);
  const [error, setError] = useState(null);
  const [message, setMessage] = useState(null);
  const [fieldErrors, setFieldErrors] = useState({});
  const [people, setPeople] = useState({});

  async function load() {
    try {
      const found = await api("/assistant-config");
      setCurrent(found);
      setText(JSON.stringify(found.config, null, 2));
      setVersions(itemsOf(await api("/assistant-config/versions")));
      setError(null);
    } catch (failure) {
      setError(failure.status === 404 ? t("cat.empty") : problemText(failure));
    }
  }
  useEffect(() => {
    load();
    // Who made each version: the team's emails (admins may list the team; else the ids stay).
    api("/operators")
      .then((found) => setPeople(Object.fromEntries(itemsOf(found).map((m) => [m.operator_id, m.email]))))
      .catch(() => {});
  }, []);
  const who = (id) => (id ? people[id] || id : "—");

  async function save(event) {
    event.preventDefault();
    let config;
    try {
      config = JSON.parse(text);
    } catch {
      setMessage(null);
      setError(t("set.invalid_json"));
      return;
    }
    try {
      const saved = await api("/assistant-config", {
        method: "PUT",
        body: { base_version: current ? current.version : 0, config },
      });
      await load();
      setFieldErrors({});
      setMessage(saved.changed === false ? t("set.no_changes") : `${t("set.saved")} ${saved.version}`);
    } catch (failure) {
      setMessage(null);
      setError(problemText(failure));
      setFieldErrors(fieldErrorsOf(failure));
    }
  }

  function setField(name, value) {
    const edited = parsed(text);
    if (!edited) return;
    setText(JSON.stringify({ ...edited, [name]: value }, null, 2));
  }

  async function compare(event) {
    event.preventDefault();
    try {
      setDiff(itemsOf((await api("/assistant-config/diff", { query: { from, to } })).changes));
      setError(null);
    } catch (failure) {
      setError(problemText(failure));
    }
  }

  async function rollback(version) {
    try {
      const saved = await api("/assistant-config/rollback", {
        method: "POST",
        body: { to_version: version, base_version: current.version },
      });
      await load();
      setFieldErrors({});
      setMessage(saved.changed === false ? t("set.no_changes") : `${t("set.saved")} ${saved.version}`);
    } catch (failure) {
      setMessage(null);
      setError(problemText(failure));
    }
  }

  const admin = can(me.role, "admin");
  const shown = parsed(text);
  return html`<section class="settings">
    <h1>${t("set.title")}</h1>
    ${current && html`<p class="meta" data-testid="config-version" data-version=${current.version}>${t("set.version")} ${current.version} · ${t("set.by")} ${who(current.created_by)} · ${formatTime(current.created_at)}</p>`}
    ${error && html`<pre class="error" role="alert">${error}</pre>`}
    ${message && html`<p class="ok" role="status">${message}</p>`}
    <form data-testid="config-form" onSubmit=${save}>
      <fieldset class="fields">
        <legend>${t("set.fields")}</legend>
        ${FIELDS.map(
          ([name, kind, step]) => html`<div class=${`field field-${kind}`}>
            <label for=${`cfg-${name}`}>${t(`set.f.${name}`)}</label>
            <${FieldInput} name=${name} kind=${kind} step=${step} value=${shown ? shown[name] : ""}
              disabled=${!admin || !shown} invalid=${name in fieldErrors} onValue=${(value) => setField(name, value)} />
            ${name in fieldErrors && html`<span class="error" data-field-error=${name}>${fieldErrors[name]}</span>`}
          </div>`,
        )}
      </fieldset>
      <details>
        <summary>${t("set.json")}</summary>
        <label class="sr-only" for="config">${t("set.json")}</label>
        <textarea id="config" class="code" rows="18" spellcheck="false" readonly=${!admin}
          value=${text} onInput=${(e) => setText(e.target.value)}></textarea>
      </details>
      ${admin && html`<button type="submit" class="primary">${t("set.save")}</button>`}
    </form>
    <h2>${t("set.versions")}</h2>
    <form class="inline" onSubmit=${compare}>
      <select aria-label="from" value=${from} onChange=${(e) => setFrom(e.target.value)}>
        <option value="">—</option>
        ${versions.map((v) => html`<option value=${v.version}>${v.version}</option>`)}
      </select>
      →
      <select aria-label="to" value=${to} onChange=${(e) => setTo(e.target.value)}>
        <option value="">—</option>
        ${versions.map((v) => html`<option value=${v.version}>${v.version}</option>`)}
      </select>
      <button type="submit" disabled=${!from || !to}>${t("set.diff")}</button>
    </form>
    ${diff &&
    (diff.length
      ? html`<table class="diff" data-testid="config-diff"><tbody>
          ${diff.map((c) => html`<tr data-field=${c.field}><th scope="row">${c.field}</th>
            <td class="from">${JSON.stringify(c.from)}</td><td class="to">${JSON.stringify(c.to)}</td></tr>`)}
        </tbody></table>`
      : html`<p>${t("set.no_changes")}</p>`)}
    <ul class="versions" data-testid="config-versions">
      ${versions.map(
        (v) => html`<li data-version=${v.version}>
          <strong>${v.version}</strong> · ${who(v.created_by)} · ${formatTime(v.created_at)}
          ${admin && current && v.version !== current.version &&
          html`<button class="link" onClick=${() => rollback(v.version)}>${t("set.rollback")}</button>`}
        </li>`,
      )}
    </ul>
  </section>`;
}
