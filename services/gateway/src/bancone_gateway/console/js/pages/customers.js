// Customers (the notifier's `/customers`): consent, tags, last contact, the 24-hour window and
// interests (categories bought / asked about), filtered by consent, tag or a search; one
// customer's page is `customer.js`; the consent keywords editor is `keywords.js`.
import { html, useEffect, useState } from "../lib.js";
import { api, can, itemsOf, problemText } from "../api.js";
import { formatTime, t } from "../i18n.js";
import { ConsentBadge, CustomerPage, Interests } from "./customer.js";
import { KeywordsEditor } from "./keywords.js";

const CONSENTS = ["opted_in", "opted_out", "none"];

export function CustomersPage({ me, arg }) {
  return arg ? html`<${CustomerPage} me=${me} id=${decodeURIComponent(arg)} />` : html`<${CustomerList} me=${me} />`;
}

function CustomerList({ me }) {
  const [consent, setConsent] = useState("");
  const [tag, setTag] = useState("");
  const [query, setQuery] = useState("");
  const [items, setItems] = useState(null);
  const [cursor, setCursor] = useState(null);
  const [error, setError] = useState(null);

  async function load(after) {
    try {
      const page = await api("/customers", {
        query: { consent: consent || null, tag: tag.trim().toLowerCase() || null, q: query.trim() || null, limit: 50, cursor: after },
      });
      setItems(after ? [...(items || []), ...itemsOf(page)] : itemsOf(page));
      setCursor((page && page.next_cursor) || null);
      setError(null);
    } catch (failure) {
      setError(problemText(failure));
    }
  }
  useEffect(() => {
    const timer = setTimeout(() => load(null), query || tag ? 250 : 0);
    return () => clearTimeout(timer);
  }, [consent, tag, query]);

  return html`<section class="customers">
    <h1>${t("cust.title")}</h1>
    <p class="hint">${t("cust.hint")}</p>
    <div class="bar" data-testid="customer-filters">
      <label>${t("cust.consent")}
        <select name="consent" value=${consent} onChange=${(e) => setConsent(e.target.value)}>
          <option value="">${t("cust.all")}</option>
          ${CONSENTS.map((c) => html`<option value=${c}>${t(`cust.consent_${c}`)}</option>`)}
        </select></label>
      <label>${t("cust.tag")}<input name="tag" value=${tag} onInput=${(e) => setTag(e.target.value)} /></label>
      <label>${t("cust.search")}<input type="search" name="q" value=${query} onInput=${(e) => setQuery(e.target.value)} /></label>
    </div>
    ${error && html`<pre class="error" role="alert">${error}</pre>`}
    ${items && items.length === 0 && html`<p class="empty">${t("cust.none")}</p>`}
    ${items && items.length > 0 &&
    html`<div class="table-wrap"><table data-testid="customers">
      <thead><tr>
        <th scope="col">${t("cust.customer")}</th><th scope="col">${t("cust.consent")}</th>
        <th scope="col">${t("cust.tags")}</th><th scope="col">${t("cust.last_contact")}</th>
        <th scope="col">${t("cust.interests")}</th>
      </tr></thead>
      <tbody>
        ${items.map((c) => html`<tr key=${c.customer_id} data-customer=${c.customer_id}>
          <td data-label=${t("cust.customer")}><a href=${`#/customers/${encodeURIComponent(c.customer_id)}`}>+${c.customer_id}</a>
            ${c.name && html`<br /><small>${c.name}</small>`} ${c.language && html`<small class="hint"> · ${c.language}</small>`}</td>
          <td data-label=${t("cust.consent")}><${ConsentBadge} consent=${c.consent} /></td>
          <td data-label=${t("cust.tags")}>${(c.tags || []).map((tg) => html`<span class="badge tag">${tg}</span> `)}</td>
          <td data-label=${t("cust.last_contact")}>${formatTime(c.last_inbound_at)}
            ${c.window_open ? html`<br /><small class="ok">${t("cust.window_open")}</small>` : html`<br /><small class="hint">${t("cust.window_closed")}</small>`}</td>
          <td data-label=${t("cust.interests")}><${Interests} interests=${c.interests} /></td>
        </tr>`)}
      </tbody>
    </table></div>`}
    ${cursor && html`<button onClick=${() => load(cursor)}>${t("inbox.more")}</button>`}
    <${KeywordsEditor} admin=${can(me.role, "admin")} />
  </section>`;
}
