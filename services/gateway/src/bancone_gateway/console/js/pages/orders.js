// The shop's orders (the catalog owns them; the gateway forwards /orders to it): a list newest
// first with a status filter, and an order's page with its lines, total, customer,
// fulfilment, payment link, invoice and history, and the changes its status allows. The
// catalog decides: a change it refuses (409 invalid transition, 403 role) is shown as it says.
import { html, useEffect, useState } from "../lib.js";
import { api, authHeaders, can, itemsOf, problemText, refresh, tenantPath } from "../api.js";
import { formatTime, language, t } from "../i18n.js";

export const STATUSES = ["pending", "confirmed", "paid", "shipped", "delivered", "cancelled", "refunded"];
const TRANSITIONS = ["placed", "confirmed", "paid", "shipped", "delivered", "cancelled", "expired", "refunded"];

/** What an operator may ask for from each status (the catalog's lifecycle). */
const NEXT = {
  pending: ["confirmed", "cancelled"],
  confirmed: ["cancelled"],
  paid: ["shipped", "delivered", "refunded"],
  shipped: ["delivered", "refunded"],
  delivered: ["refunded"],
};
const ASKS_FIRST = new Set(["cancelled", "refunded"]);

function allowed(order) {
  const next = NEXT[order.status] || [];
  const pickup = order.fulfilment && order.fulfilment.method === "pickup";
  // Paid delivery orders are shipped (with a tracking code); paid pickups are handed over.
  if (order.status === "paid") return next.filter((to) => (pickup ? to !== "shipped" : to !== "delivered"));
  return next;
}

/** Money as the API sends it: a decimal string (with `currency` beside it) or {amount, currency}. */
export function money(value, currency) {
  if (value === null || value === undefined) return "";
  const amount = typeof value === "object" ? value.amount : value;
  const code = (typeof value === "object" && value.currency) || currency || "EUR";
  const number = Number(amount);
  if (Number.isNaN(number)) return `${amount} ${code}`;
  try {
    return new Intl.NumberFormat(language(), { style: "currency", currency: code }).format(number);
  } catch {
    return `${amount} ${code}`;
  }
}

function totalOf(order) {
  return money(order.total, order.currency);
}

function StatusBadge({ status }) {
  return html`<span class=${`badge order-${status}`} data-status=${status}>${t(`orders.status_${status}`)}</span>`;
}

export function OrdersPage({ me, arg }) {
  return arg ? html`<${OrderPage} me=${me} id=${arg} />` : html`<${OrderList} />`;
}

function OrderList() {
  const [status, setStatus] = useState("");
  const [customer, setCustomer] = useState("");
  const [orders, setOrders] = useState(null);
  const [error, setError] = useState(null);

  async function load() {
    try {
      const found = await api("/orders", { query: { status, customer_id: customer.trim(), limit: 100 } });
      setOrders(itemsOf(found));
      setError(null);
    } catch (failure) {
      setError(problemText(failure));
    }
  }
  useEffect(() => {
    load();
  }, [status]);

  return html`<section class="orders">
    <div class="bar">
      <h1>${t("orders.title")}</h1>
      <label class="inline">${t("orders.filter_status")}
        <select value=${status} onChange=${(e) => setStatus(e.target.value)} name="status">
          <option value="">${t("orders.all")}</option>
          ${STATUSES.map((s) => html`<option value=${s}>${t(`orders.status_${s}`)}</option>`)}
        </select>
      </label>
      <form class="inline" role="search" onSubmit=${(e) => { e.preventDefault(); load(); }}>
        <input type="search" name="customer" value=${customer} placeholder=${t("orders.filter_customer")}
          aria-label=${t("orders.filter_customer")} onInput=${(e) => setCustomer(e.target.value)} />
        <button type="submit">${t("orders.search")}</button>
      </form>
    </div>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${orders === null && !error && html`<p class="hint">${t("common.loading")}</p>`}
    ${orders && orders.length === 0 && html`<p class="empty">${t("orders.none")}</p>`}
    ${orders && orders.length > 0 &&
    html`<div class="table-wrap"><table class="order-list">
      <thead><tr>
        <th scope="col">${t("orders.number")}</th>
        <th scope="col">${t("orders.created")}</th>
        <th scope="col">${t("orders.customer")}</th>
        <th scope="col">${t("orders.items")}</th>
        <th scope="col">${t("orders.total")}</th>
        <th scope="col">${t("orders.status")}</th>
      </tr></thead>
      <tbody>
        ${orders.map(
          (o) => html`<tr key=${o.order_id} data-id=${o.order_id} data-status=${o.status}>
            <td data-label=${t("orders.number")}><a href=${`#/orders/${o.order_id}`}>${o.number}</a></td>
            <td data-label=${t("orders.created")}>${formatTime(o.created_at)}</td>
            <td data-label=${t("orders.customer")}>${(o.fulfilment && o.fulfilment.name) || ""}${" "}
              <span class="small">${o.customer_id}</span></td>
            <td data-label=${t("orders.items")}>${(o.lines || []).reduce((n, l) => n + l.quantity, 0)}</td>
            <td data-label=${t("orders.total")}>${totalOf(o)}</td>
            <td data-label=${t("orders.status")}><${StatusBadge} status=${o.status} /></td>
          </tr>`,
        )}
      </tbody>
    </table></div>`}
  </section>`;
}

/** Fetch the invoice PDF with the operator's token and hand it to the browser as a download. */
async function downloadInvoice(order) {
  const url = tenantPath(`/orders/${encodeURIComponent(order.order_id)}/invoice.pdf`);
  let response = await fetch(url, { headers: authHeaders() });
  if (response.status === 401) {
    await refresh();
    response = await fetch(url, { headers: authHeaders() });
  }
  if (!response.ok) throw new Error(`${t("orders.invoice_failed")} (HTTP ${response.status})`);
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = `invoice-${order.invoice.number}.pdf`;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

function History({ entries }) {
  if (!Array.isArray(entries) || entries.length === 0) return null;
  return html`<div class="card">
    <h2>${t("orders.history")}</h2>
    <ol class="order-history">
      ${entries.map((h) => {
        const what = h.transition || h.to || h.status;
        return html`<li>
          <time>${formatTime(h.occurred_at || h.at || h.created_at)}</time>
          ${" "}<strong>${TRANSITIONS.includes(what) ? t(`orders.transition_${what}`) : what}</strong>
          ${h.actor ? html` · ${h.actor}` : ""}${h.operator_id ? html` (${h.operator_id})` : ""}
          ${h.tracking_code ? html` · ${h.tracking_code}` : ""}
        </li>`;
      })}
    </ol>
  </div>`;
}

function Actions({ order, onChanged }) {
  const [asking, setAsking] = useState(null);
  const [tracking, setTracking] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const next = allowed(order);
  if (next.length === 0) return null;

  async function move(to) {
    setBusy(true);
    setError(null);
    const body = { to };
    if (to === "shipped" && tracking.trim()) body.tracking_code = tracking.trim();
    try {
      onChanged(await api(`/orders/${encodeURIComponent(order.order_id)}/transitions`, { method: "POST", body }));
      setAsking(null);
      setTracking("");
    } catch (failure) {
      const text = problemText(failure);
      setError(failure.status === 409 ? `${t("orders.refused")} ${text}` : text);
    } finally {
      setBusy(false);
    }
  }

  return html`<div class="card order-actions">
    <h2>${t("orders.actions")}</h2>
    ${next.includes("shipped") &&
    html`<form class="inline" onSubmit=${(e) => { e.preventDefault(); move("shipped"); }}>
      <label>${t("orders.tracking_code")}
        <input name="tracking_code" value=${tracking} onInput=${(e) => setTracking(e.target.value)}
          maxlength="100" autocomplete="off" />
      </label>
      <button type="submit" class="primary" disabled=${busy} data-action="shipped">${t("orders.action_shipped")}</button>
    </form>`}
    <div class="actions">
      ${next.filter((to) => to !== "shipped").map((to) =>
        asking === to
          ? html`<span class="inline" role="group">
              ${t(`orders.confirm_${to}`)}
              <button class="primary danger" disabled=${busy} data-action=${`${to}-yes`} onClick=${() => move(to)}>${t("orders.yes")}</button>
              <button disabled=${busy} onClick=${() => setAsking(null)}>${t("orders.no")}</button>
            </span>`
          : html`<button class=${ASKS_FIRST.has(to) ? "danger" : "primary"} disabled=${busy} data-action=${to}
              onClick=${() => (ASKS_FIRST.has(to) ? setAsking(to) : move(to))}>${t(`orders.action_${to}`)}</button>`,
      )}
    </div>
    ${error && html`<p class="error" role="alert">${error}</p>`}
  </div>`;
}

function OrderPage({ me, id }) {
  const [order, setOrder] = useState(null);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  const [problem, setProblem] = useState(null);

  useEffect(() => {
    setOrder(null);
    api(`/orders/${encodeURIComponent(id)}`)
      .then((found) => {
        setOrder(found);
        setError(null);
      })
      .catch((failure) => setError(failure.status === 404 ? t("orders.not_found") : problemText(failure)));
  }, [id]);

  if (error) {
    return html`<section><a href="#/orders">${t("orders.back")}</a><p class="error" role="alert">${error}</p></section>`;
  }
  if (!order) return html`<p class="hint">${t("common.loading")}</p>`;
  const fulfilment = order.fulfilment || {};
  const changed = (updated) => {
    setOrder(updated);
    setDone(`${t("orders.changed")} ${t(`orders.status_${updated.status}`)}`);
  };
  return html`<section class="order" data-order=${order.order_id} data-status=${order.status}>
    <a href="#/orders">${t("orders.back")}</a>
    <div class="bar">
      <h1>${t("orders.order")} ${order.number}</h1>
      <${StatusBadge} status=${order.status} />
    </div>
    ${done && html`<p class="ok" role="status">${done}</p>`}
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    <div class="table-wrap"><table class="order-lines">
      <thead><tr>
        <th scope="col">${t("orders.sku")}</th>
        <th scope="col">${t("orders.product")}</th>
        <th scope="col">${t("orders.quantity")}</th>
        <th scope="col">${t("orders.unit_price")}</th>
        <th scope="col">${t("orders.line_total")}</th>
      </tr></thead>
      <tbody>
        ${(order.lines || []).map(
          (l) => html`<tr key=${l.sku}>
            <td data-label=${t("orders.sku")}><code>${l.sku}</code></td>
            <td data-label=${t("orders.product")}>${l.name}${l.variant ? ` — ${l.variant}` : ""}</td>
            <td data-label=${t("orders.quantity")}>${l.quantity}</td>
            <td data-label=${t("orders.unit_price")}>${money(l.unit_price, order.currency)}</td>
            <td data-label=${t("orders.line_total")}>${money(l.line_total, order.currency)}</td>
          </tr>`,
        )}
      </tbody>
      <tfoot><tr><th scope="row" colspan="4">${t("orders.total")}</th><td class="order-total">${totalOf(order)}</td></tr></tfoot>
    </table></div>
    <div class="card">
      <dl class="order-facts">
        <dt>${t("orders.created")}</dt><dd>${formatTime(order.created_at)}</dd>
        <dt>${t("orders.customer")}</dt>
        <dd>${fulfilment.name || ""} <span class="small">${order.customer_id}</span>
          ${order.conversation_id && html` · <a href=${`#/c/${order.conversation_id}`}>${t("orders.conversation")}</a>`}</dd>
        <dt>${t("orders.fulfilment")}</dt>
        <dd>${fulfilment.method ? t(`orders.method_${fulfilment.method}`) : "—"}${fulfilment.address ? ` · ${fulfilment.address}` : ""}</dd>
        ${order.status === "pending" && order.reserved_until &&
        html`<dt>${t("orders.reserved_until")}</dt><dd>${formatTime(order.reserved_until)}</dd>`}
        <dt>${t("orders.payment_link")}</dt>
        <dd>${order.payment_url
          ? html`<a href=${order.payment_url} target="_blank" rel="noopener noreferrer">${order.payment_url}</a>`
          : "—"}</dd>
        ${order.tracking_code && html`<dt>${t("orders.tracking_code")}</dt><dd><code>${order.tracking_code}</code></dd>`}
        <dt>${t("orders.invoice")}</dt>
        <dd>${order.invoice
          ? html`${order.invoice.number} (${formatTime(order.invoice.issued_at)})
              <button class="link" onClick=${() => downloadInvoice(order).catch((f) => setProblem(f.message))}>
                ${t("orders.download_invoice")}</button>`
          : t("orders.no_invoice")}</dd>
      </dl>
    </div>
    ${can(me.role, "admin")
      ? html`<${Actions} order=${order} onChanged=${changed} />`
      : html`<p class="hint">${t("orders.viewer")}</p>`}
    <${History} entries=${order.history} />
  </section>`;
}
