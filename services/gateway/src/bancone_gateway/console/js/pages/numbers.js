// The tenant's WhatsApp numbers (the gateway's `/channels`) with each one's throughput tier
// (the notifier's `/pacing/{number}`): how many messages per second it may send, Meta's tier
// (80, or up to 1000 once upgraded) or lower. Admins set a number's own tier or go back to
// the notifier's default; a value outside 1–1000 is refused here, and the notifier's answer
// is shown as it says it.
import { html, useEffect, useState } from "../lib.js";
import { api, can, itemsOf, problemText } from "../api.js";
import { t } from "../i18n.js";
import { channelLabel, useChannels } from "../channels.js";

const MAX_TIER = 1000;

/** The tier typed in, or null when it is not a whole number from 1 to MAX_TIER. */
export function tierOf(text) {
  const value = String(text).trim();
  if (!/^\d+$/.test(value)) return null;
  const tier = Number(value);
  return tier >= 1 && tier <= MAX_TIER ? tier : null;
}

function NumberTier({ channel, pacing, onSaved }) {
  const number = channel.phone_number_id;
  const [value, setValue] = useState(pacing && pacing.own_tier != null ? String(pacing.own_tier) : "");
  const [error, setError] = useState(null);
  const [message, setMessage] = useState(null);

  async function put(tier) {
    try {
      const saved = await api(`/pacing/${encodeURIComponent(number)}`, { method: "PUT", body: { tier_per_second: tier } });
      setValue(saved.own_tier != null ? String(saved.own_tier) : "");
      setMessage(t("num.saved"));
      setError(null);
      onSaved(saved);
    } catch (failure) {
      setMessage(null);
      setError(problemText(failure));
    }
  }

  function save(event) {
    event.preventDefault();
    const tier = tierOf(value);
    if (tier === null) {
      setMessage(null);
      setError(t("num.bad_tier"));
      return;
    }
    put(tier);
  }

  return html`<tr data-number=${number}>
    <td data-label=${t("num.number")}>${channelLabel(channel)}</td>
    <td data-label=${t("num.in_force")} data-testid="tier-in-force">${pacing ? `${pacing.tier_per_second} ${t("num.per_second")}` : "…"}
      ${pacing && pacing.own_tier == null && html`<br /><small class="hint">${t("num.default")}</small>`}</td>
    <td data-label=${t("num.own_tier")}>
      <form class="inline" onSubmit=${save}>
        <input name="tier" inputmode="numeric" aria-label=${t("num.own_tier")} value=${value}
          placeholder=${pacing ? String(pacing.default_tier) : ""} onInput=${(e) => setValue(e.target.value)} />
        <button type="submit" class="primary">${t("num.save")}</button>
        ${pacing && pacing.own_tier != null && html`<button type="button" data-action="default" onClick=${() => put(null)}>${t("num.use_default")}</button>`}
      </form>
      ${error && html`<p class="error" role="alert" data-testid="tier-error">${error}</p>`}
      ${message && html`<p class="ok" role="status">${message}</p>`}
    </td>
  </tr>`;
}

export function NumbersPage({ me }) {
  const admin = can(me.role, "admin");
  const channels = useChannels(admin);
  const [pacing, setPacing] = useState({});
  const [error, setError] = useState(null);

  async function load() {
    try {
      const found = itemsOf(await api("/pacing"));
      setPacing(Object.fromEntries(found.map((p) => [p.phone_number_id, p])));
      setError(null);
    } catch (failure) {
      setError(problemText(failure));
    }
  }
  useEffect(() => {
    if (admin) load();
  }, []);

  if (!admin) return html`<section class="numbers"><h1>${t("num.title")}</h1><p class="hint">${t("num.admins_only")}</p></section>`;
  return html`<section class="numbers">
    <h1>${t("num.title")}</h1>
    <p class="hint">${t("num.hint")}</p>
    ${error && html`<pre class="error" role="alert">${error}</pre>`}
    ${channels.length === 0
      ? html`<p class="empty">${t("num.none")}</p>`
      : html`<div class="table-wrap"><table data-testid="numbers">
          <thead><tr>
            <th scope="col">${t("num.number")}</th>
            <th scope="col">${t("num.in_force")}</th>
            <th scope="col">${t("num.own_tier")}</th>
          </tr></thead>
          <tbody>
            ${channels.map((c) => html`<${NumberTier} key=${`${c.phone_number_id}-${pacing[c.phone_number_id] ? "ready" : "loading"}`}
              channel=${c} pacing=${pacing[c.phone_number_id]}
              onSaved=${(saved) => setPacing({ ...pacing, [saved.phone_number_id]: saved })} />`)}
          </tbody>
        </table></div>`}
  </section>`;
}
