// The pages behind the one-time links the gateway hands out: /console/accept-invite#token=…
// (choose a password and join) and /console/reset-password#token=… (choose a new one).
import { html, useState } from "../lib.js";
import { t } from "../i18n.js";

export function AcceptPage({ kind }) {
  const token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  const [error, setError] = useState(null);
  const url = kind === "invite" ? "/v1/auth/invites/accept" : "/v1/auth/password-resets/complete";

  async function submit(event) {
    event.preventDefault();
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token, password }),
    });
    if (response.ok) {
      setDone(true);
      history.replaceState(null, "", "/console/");
    } else {
      const problem = await response.json().catch(() => ({}));
      setError(problem.detail || problem.title || `HTTP ${response.status}`);
    }
  }

  if (done) {
    return html`<div class="card login"><p class="ok" role="status">${t("accept.done")}</p>
      <a href="/console/">${t("login.submit")}</a></div>`;
  }
  return html`<form class="card login" onSubmit=${submit}>
    <h1>${t(kind === "invite" ? "accept.invite" : "accept.reset")}</h1>
    <label>${t("accept.password")}
      <input type="password" autocomplete="new-password" required minlength="10" value=${password}
        onInput=${(e) => setPassword(e.target.value)} />
    </label>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <button type="submit" class="primary" disabled=${!token}>${t("accept.save")}</button>
  </form>`;
}
