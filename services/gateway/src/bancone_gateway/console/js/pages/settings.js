import { html, useEffect, useState } from "../lib.js";
import { api, can, itemsOf } from "../api.js";
import { formatTime, t } from "../i18n.js";

function problemText(failure) {
  const errors = failure.problem && failure.problem.errors;
  if (errors && errors.length) return errors.map((e) => `${e.field}: ${e.message}`).join("\n");
  return failure.message;
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
  }, []);

  async function save(event) {
    event.preventDefault();
    let config;
    try {
      config = JSON.parse(text);
    } catch {
      setError(t("set.invalid_json"));
      return;
    }
    try {
      const saved = await api("/assistant-config", {
        method: "PUT",
        body: { base_version: current ? current.version : 0, config },
      });
      setMessage(`${t("set.saved")} ${saved.version}`);
      await load();
    } catch (failure) {
      setError(problemText(failure));
    }
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
      setMessage(`${t("set.saved")} ${saved.version}`);
      await load();
    } catch (failure) {
      setError(problemText(failure));
    }
  }

  const admin = can(me.role, "admin");
  return html`<section class="settings">
    <h1>${t("set.title")}</h1>
    ${current && html`<p class="meta">${t("set.version")} ${current.version} · ${t("set.by")} ${current.created_by || "—"} · ${formatTime(current.created_at)}</p>`}
    ${error && html`<pre class="error" role="alert">${error}</pre>`}
    ${message && html`<p class="ok" role="status">${message}</p>`}
    <form onSubmit=${save}>
      <label class="sr-only" for="config">config</label>
      <textarea id="config" class="code" rows="18" spellcheck="false" readonly=${!admin}
        value=${text} onInput=${(e) => setText(e.target.value)}></textarea>
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
      ? html`<table class="diff"><tbody>
          ${diff.map((c) => html`<tr><th scope="row">${c.field}</th>
            <td class="from">${JSON.stringify(c.from)}</td><td class="to">${JSON.stringify(c.to)}</td></tr>`)}
        </tbody></table>`
      : html`<p>${t("set.no_changes")}</p>`)}
    <ul class="versions">
      ${versions.map(
        (v) => html`<li>
          <strong>${v.version}</strong> · ${v.created_by || "—"} · ${formatTime(v.created_at)}
          ${admin && current && v.version !== current.version &&
          html`<button class="link" onClick=${() => rollback(v.version)}>${t("set.rollback")}</button>`}
        </li>`,
      )}
    </ul>
  </section>`;
}
