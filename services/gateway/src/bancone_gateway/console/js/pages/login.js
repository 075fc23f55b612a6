import { html, useState } from "../lib.js";
import { login } from "../api.js";
import { t } from "../i18n.js";

export function LoginPage({ onLogin }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [tenant, setTenant] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onLogin(await login(email.trim(), password, tenant.trim() || null));
      if (!location.hash) location.hash = "#/inbox";
    } catch (failure) {
      setError(failure.status === 429 ? t("login.throttled") : t("login.failed"));
    } finally {
      setBusy(false);
    }
  }

  return html`<form class="card login" onSubmit=${submit} aria-labelledby="login-title">
    <h1 id="login-title">${t("login.title")}</h1>
    <label>${t("login.email")}
      <input name="email" type="email" autocomplete="username" required autofocus
        value=${email} onInput=${(e) => setEmail(e.target.value)} />
    </label>
    <label>${t("login.password")}
      <input name="password" type="password" autocomplete="current-password" required
        value=${password} onInput=${(e) => setPassword(e.target.value)} />
    </label>
    <label class="small">${t("login.tenant")}
      <input name="tenant" autocomplete="organization" value=${tenant}
        onInput=${(e) => setTenant(e.target.value)} />
    </label>
    ${error && html`<p class="error" role="alert" data-testid="login-error">${error}</p>`}
    <button type="submit" class="primary" disabled=${busy}>${t("login.submit")}</button>
  </form>`;
}
