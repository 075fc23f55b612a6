import { html, useEffect, useState } from "../lib.js";
import { api, can, itemsOf, session } from "../api.js";
import { t } from "../i18n.js";

const ROLES = ["viewer", "agent", "admin", "owner"];

export function TeamPage({ me }) {
  const [members, setMembers] = useState([]);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState("agent");
  const [link, setLink] = useState(null);
  const [error, setError] = useState(null);
  const tenant = session.get().tenant_id;
  const base = `/v1/tenants/${encodeURIComponent(tenant)}/operators`;
  const owner = can(me.role, "owner");
  const grantable = owner ? ROLES : ROLES.filter((r) => r !== "owner");

  async function load() {
    try {
      setMembers(itemsOf(await api(base)));
      setError(null);
    } catch (failure) {
      setError(failure.message);
    }
  }
  useEffect(() => {
    load();
  }, []);

  async function invite(event) {
    event.preventDefault();
    try {
      const made = await api(`/v1/tenants/${encodeURIComponent(tenant)}/invites`, {
        method: "POST",
        body: { email, role },
      });
      setLink(made.url);
      setEmail("");
      setError(null);
    } catch (failure) {
      setError(failure.message);
    }
  }

  async function change(member, newRole) {
    try {
      await api(`${base}/${member.operator_id}`, { method: "PATCH", body: { role: newRole } });
      await load();
    } catch (failure) {
      setError(failure.message);
    }
  }

  async function remove(member) {
    try {
      await api(`${base}/${member.operator_id}`, { method: "DELETE" });
      await load();
    } catch (failure) {
      setError(failure.message);
    }
  }

  return html`<section class="team">
    <h1>${t("team.title")}</h1>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <div class="table-wrap"><table>
      <thead><tr><th scope="col">${t("team.email")}</th><th scope="col">${t("team.role")}</th><th></th></tr></thead>
      <tbody>
        ${members.map(
          (m) => html`<tr key=${m.operator_id}>
            <td data-label=${t("team.email")}>${m.email}${m.operator_id === me.operator_id ? ` (${t("team.you")})` : ""}</td>
            <td data-label=${t("team.role")}>
              ${owner && m.operator_id !== me.operator_id
                ? html`<select aria-label=${`${t("team.role")} ${m.email}`} value=${m.role}
                    onChange=${(e) => change(m, e.target.value)}>
                    ${ROLES.map((r) => html`<option value=${r}>${t(`role.${r}`)}</option>`)}
                  </select>`
                : t(`role.${m.role}`)}
            </td>
            <td>${owner && m.operator_id !== me.operator_id &&
            html`<button class="link danger" onClick=${() => remove(m)}>${t("team.remove")}</button>`}</td>
          </tr>`,
        )}
      </tbody>
    </table></div>
    <form class="card" onSubmit=${invite}>
      <h2>${t("team.invite")}</h2>
      <label>${t("team.email")}<input type="email" required value=${email} onInput=${(e) => setEmail(e.target.value)} /></label>
      <label>${t("team.role")}
        <select value=${role} onChange=${(e) => setRole(e.target.value)}>
          ${grantable.map((r) => html`<option value=${r}>${t(`role.${r}`)}</option>`)}
        </select>
      </label>
      <button type="submit" class="primary">${t("team.send_invite")}</button>
      ${link && html`<p class="ok" role="status">${t("team.invite_link")} <code class="wrap">${link}</code></p>`}
    </form>
  </section>`;
}
