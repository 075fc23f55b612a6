import { html, useEffect, useState } from "../lib.js";
import { ApiError, api, authHeaders, can, itemsOf, refresh, tenantPath } from "../api.js";
import { t } from "../i18n.js";

const KINDS = {
  products: {
    columns: ["sku", "name", "price", "stock", "active"],
    editable: { name: "text", price: "text", stock: "number", active: "checkbox" },
    search: "q",
  },
  faqs: {
    columns: ["question", "answer", "language"],
    editable: { question: "text", answer: "textarea" },
  },
  offers: {
    columns: ["code", "title", "discount_percent", "valid_until"],
    editable: { title: "text", discount_percent: "number" },
  },
};

function show(value) {
  if (value === true) return "✓";
  if (value === false) return "—";
  return value === null || value === undefined ? "" : String(value);
}

function Editor({ kind, item, onDone }) {
  const fields = KINDS[kind].editable;
  const [draft, setDraft] = useState(Object.fromEntries(Object.keys(fields).map((f) => [f, item[f]])));
  const [error, setError] = useState(null);
  async function save(event) {
    event.preventDefault();
    const body = {};
    for (const [field, type] of Object.entries(fields)) {
      if (draft[field] === item[field]) continue;
      body[field] = type === "number" ? Number(draft[field]) : draft[field];
    }
    try {
      onDone(await api(`/${kind}/${item.id}`, { method: "PATCH", body }));
    } catch (failure) {
      setError(failure.message);
    }
  }
  return html`<form class="editor" onSubmit=${save}>
    ${Object.entries(fields).map(
      ([field, type]) => html`<label>${field}
        ${type === "checkbox"
          ? html`<input type="checkbox" checked=${!!draft[field]}
              onChange=${(e) => setDraft({ ...draft, [field]: e.target.checked })} />`
          : type === "textarea"
            ? html`<textarea rows="3" value=${draft[field] || ""}
                onInput=${(e) => setDraft({ ...draft, [field]: e.target.value })}></textarea>`
            : html`<input type=${type} step="any" value=${draft[field] ?? ""}
                onInput=${(e) => setDraft({ ...draft, [field]: e.target.value })} />`}
      </label>`,
    )}
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <button type="submit" class="primary">${t("cat.save")}</button>
    <button type="button" onClick=${() => onDone(null)}>${t("cat.cancel")}</button>
  </form>`;
}

/** POST the CSV with XMLHttpRequest, whose upload events drive the progress bar. */
function upload(kind, file, onProgress) {
  const send = () =>
    new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      // The catalog names a CSV's kind in the singular (product, faq, offer).
      const query = new URLSearchParams({ kind: kind.replace(/s$/, ""), filename: file.name });
      xhr.open("POST", `${tenantPath("/import")}?${query}`);
      for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
      xhr.setRequestHeader("Content-Type", "text/csv");
      xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
      xhr.onload = () => {
        let body = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          body = { title: xhr.statusText };
        }
        if (xhr.status >= 200 && xhr.status < 300) resolve(body);
        else reject(new ApiError(xhr.status, body));
      };
      xhr.onerror = () => reject(new ApiError(0, { title: "network error" }));
      xhr.send(file);
    });
  return send().catch(async (failure) => {
    if (failure.status !== 401) throw failure;
    await refresh();
    return send();
  });
}

function Importer({ onImported }) {
  const [kind, setKind] = useState("products");
  const [file, setFile] = useState(null);
  const [progress, setProgress] = useState(null);
  const [report, setReport] = useState(null);
  const [issues, setIssues] = useState(null);
  const [error, setError] = useState(null);

  async function go(event) {
    event.preventDefault();
    if (!file) return;
    setReport(null);
    setIssues(null);
    setError(null);
    setProgress(0);
    try {
      const done = await upload(kind, file, setProgress);
      setProgress(1);
      setReport(done);
      onImported();
    } catch (failure) {
      setProgress(null);
      if (failure.problem && failure.problem.issues) setIssues(failure.problem.issues);
      else setError(failure.message);
    }
  }

  return html`<form class="card importer" onSubmit=${go} data-testid="importer">
    <h2>${t("cat.import")}</h2>
    <label>${t("cat.import_kind")}
      <select value=${kind} onChange=${(e) => setKind(e.target.value)}>
        ${Object.keys(KINDS).map((k) => html`<option value=${k}>${t(`cat.${k}`)}</option>`)}
      </select>
    </label>
    <label>${t("cat.import_file")}
      <input type="file" accept=".csv,text/csv" onChange=${(e) => setFile(e.target.files[0] || null)} />
    </label>
    <button type="submit" class="primary" disabled=${!file}>${t("cat.import_go")}</button>
    ${progress !== null && html`<progress max="1" value=${progress} aria-label="upload"></progress>`}
    ${report &&
    html`<p class="ok" role="status" data-testid="import-report">${t("cat.import_done")}:
      ${Object.entries(report).map(([k, v]) => ` ${k} +${v.created || 0} ~${v.updated || 0} =${v.unchanged || 0}`)}</p>`}
    ${issues &&
    html`<div role="alert" class="error" data-testid="import-issues">
      <p>${t("cat.import_rejected")}</p>
      <ul>
        ${issues.map(
          (issue) => html`<li data-line=${issue.line}>
            ${issue.line ? `${t("cat.line")} ${issue.line}` : issue.path}${issue.field ? ` (${issue.field})` : ""}${`: ${issue.message}`}
          </li>`,
        )}
      </ul>
    </div>`}
    ${error && html`<p class="error" role="alert">${error}</p>`}
  </form>`;
}

export function CataloguePage({ me, tab }) {
  const kind = KINDS[tab] ? tab : "products";
  const [items, setItems] = useState([]);
  const [query, setQuery] = useState("");
  const [editing, setEditing] = useState(null);
  const [error, setError] = useState(null);
  const [message, setMessage] = useState(null);

  async function load() {
    try {
      const params = kind === "products" ? { q: query || null, limit: 100, include_inactive: true } : { limit: 100 };
      setItems(itemsOf(await api(`/${kind}`, { query: params })));
      setError(null);
    } catch (failure) {
      setError(failure.message);
    }
  }
  useEffect(() => {
    const timer = setTimeout(load, query ? 250 : 0);
    return () => clearTimeout(timer);
  }, [kind, query]);

  const needle = query.trim().toLowerCase();
  const shown =
    kind === "products" || !needle
      ? items
      : items.filter((item) => JSON.stringify(item).toLowerCase().includes(needle));
  const columns = KINDS[kind].columns;
  const admin = can(me.role, "admin");
  return html`<section class="catalogue">
    <div class="bar">
      <div class="tabs" role="tablist">
        ${Object.keys(KINDS).map(
          (k) => html`<a role="tab" href=${`#/catalogue/${k}`} aria-selected=${k === kind}>${t(`cat.${k}`)}</a>`,
        )}
      </div>
      <input type="search" aria-label=${t("cat.search")} placeholder=${t("cat.search")}
        value=${query} onInput=${(e) => setQuery(e.target.value)} />
    </div>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${message && html`<p class="ok" role="status">${message}</p>`}
    ${!shown.length && html`<p class="empty">${t("cat.empty")}</p>`}
    <div class="table-wrap">
      <table>
        <thead><tr>${columns.map((c) => html`<th scope="col">${c}</th>`)}${admin && html`<th></th>`}</tr></thead>
        <tbody>
          ${shown.map((item) =>
            editing === item.id
              ? html`<tr key=${item.id}><td colspan=${columns.length + 1}>
                  <${Editor} kind=${kind} item=${item} onDone=${(saved) => {
                    setEditing(null);
                    if (saved) {
                      setMessage(t("cat.saved"));
                      load();
                    }
                  }} />
                </td></tr>`
              : html`<tr key=${item.id}>
                  ${columns.map((c) => html`<td data-label=${c}>${show(item[c])}</td>`)}
                  ${admin && html`<td><button class="link" onClick=${() => setEditing(item.id)}>${t("cat.edit")}</button></td>`}
                </tr>`,
          )}
        </tbody>
      </table>
    </div>
    ${admin && html`<${Importer} onImported=${load} />`}
  </section>`;
}
