import { html, useEffect, useState } from "../lib.js";
import { api, itemsOf } from "../api.js";
import { t } from "../i18n.js";

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

/** Bars as inline SVG: one group per day, `series` stacked ([key, class, label]). */
function Bars({ items, series, title, format = (v) => String(v) }) {
  const width = 640;
  const height = 180;
  const pad = 28;
  const totals = items.map((d) => series.reduce((sum, [key]) => sum + Number(d[key] || 0), 0));
  const max = Math.max(1, ...totals);
  const step = (width - pad) / Math.max(1, items.length);
  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    <svg viewBox=${`0 0 ${width} ${height + 20}`} role="img" aria-label=${title}>
      <text x="0" y="12" class="axis">${format(max)}</text>
      <line x1=${pad} y1=${height} x2=${width} y2=${height} class="axis-line" />
      ${items.map((d, i) => {
        let y = height;
        return html`<g>
          ${series.map(([key, cls]) => {
            const h = (Number(d[key] || 0) / max) * (height - 20);
            y -= h;
            return html`<rect x=${pad + i * step + 2} y=${y} width=${Math.max(2, step - 4)} height=${h} class=${cls}>
              <title>${d.date}: ${key} ${format(Number(d[key] || 0))}</title>
            </rect>`;
          })}
          ${(items.length <= 14 || i % 3 === 0) &&
          html`<text x=${pad + i * step + step / 2} y=${height + 14} class="axis" text-anchor="middle">${String(d.date).slice(5)}</text>`}
        </g>`;
      })}
    </svg>
    ${series.length > 1 &&
    html`<p class="legend">${series.map(([, cls, label]) => html`<span class=${`key ${cls}`}>${label}</span>`)}</p>`}
  </figure>`;
}

export function UsagePage() {
  const [days, setDays] = useState(14);
  const [items, setItems] = useState([]);
  const [error, setError] = useState(null);

  async function load() {
    const to = new Date();
    const from = new Date(to.getTime() - (days - 1) * 86400000);
    try {
      setItems(itemsOf(await api("/usage/daily", { query: { from: isoDay(from), to: isoDay(to) } })));
      setError(null);
    } catch (failure) {
      if (failure.status !== 404 && failure.status !== 405) {
        setError(failure.message);
        return;
      }
      // An agent without /usage/daily yet: one /usage call per day (tokens and cost only).
      const found = [];
      for (let d = new Date(from); d <= to; d = new Date(d.getTime() + 86400000)) {
        const day = await api("/usage", { query: { date: isoDay(d) } });
        found.push({ date: isoDay(d), conversations: 0, auto_answered: 0, handed_off: 0, ...day });
      }
      setItems(found);
    }
  }
  useEffect(() => {
    load();
  }, [days]);

  const withCost = items.map((d) => ({
    ...d,
    cost_per_conversation: d.conversations ? Number(d.estimated_cost || 0) / d.conversations : 0,
  }));
  const total = items.reduce((sum, d) => sum + Number(d.estimated_cost || 0), 0);
  const rated = items.map((d) => ({
    ...d,
    satisfaction_average: Number((d.satisfaction && d.satisfaction.average) || 0),
    satisfaction_count: Number((d.satisfaction && d.satisfaction.count) || 0),
  }));
  const answers = rated.reduce((sum, d) => sum + d.satisfaction_count, 0);
  const average = answers ? rated.reduce((sum, d) => sum + d.satisfaction_average * d.satisfaction_count, 0) / answers : null;
  return html`<section class="usage">
    <div class="bar">
      <h1>${t("usage.title")}</h1>
      <label>${t("usage.days")}
        <select value=${days} onChange=${(e) => setDays(Number(e.target.value))}>
          ${[7, 14, 30].map((n) => html`<option value=${n}>${n}</option>`)}
        </select>
      </label>
    </div>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <p>${t("usage.total_cost")}: <strong>€ ${total.toFixed(4)}</strong></p>
    <${Bars} items=${items} title=${t("usage.conversations")}
      series=${[["auto_answered", "s-auto", t("usage.auto")], ["handed_off", "s-handed", t("usage.handed")]]} />
    <${Bars} items=${items} title=${t("usage.tokens")} series=${[["total_tokens", "s-tokens", "tokens"]]} />
    <${Bars} items=${withCost} title=${t("usage.cost_per_conv")}
      series=${[["cost_per_conversation", "s-cost", "EUR"]]} format=${(v) => v.toFixed(4)} />
    <p data-testid="satisfaction" data-count=${answers} data-average=${average === null ? "" : average.toFixed(2)}>
      ${t("usage.satisfaction")}: ${average === null
        ? t("usage.no_answers")
        : html`<strong>${average.toFixed(1)} / 5</strong> (${answers} ${t("usage.answers")})`}
    </p>
    <${Bars} items=${rated} title=${t("usage.satisfaction_per_day")}
      series=${[["satisfaction_average", "s-satisfaction", "1–5"]]} format=${(v) => v.toFixed(1)} />
  </section>`;
}
