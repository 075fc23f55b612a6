import { html, useState } from "../lib.js";
import { api } from "../api.js";
import { t } from "../i18n.js";

export function OnboardingPage() {
  const [sessionId, setSessionId] = useState(null);
  const [lines, setLines] = useState([]);
  const [answer, setAnswer] = useState("");
  const [draft, setDraft] = useState(null);
  const [draftText, setDraftText] = useState("");
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);

  async function start() {
    try {
      const opened = await api("/onboarding", { method: "POST" });
      setSessionId(opened.session_id);
      setLines([{ who: "bot", text: opened.message }]);
      setError(null);
    } catch (failure) {
      setError(failure.message);
    }
  }

  async function send(event) {
    event.preventDefault();
    if (!answer.trim()) return;
    const said = answer;
    setAnswer("");
    try {
      const next = await api(`/onboarding/${sessionId}/answers`, { method: "POST", body: { text: said } });
      const added = [{ who: "me", text: said }];
      if (next.message) added.push({ who: "bot", text: next.message });
      setLines([...lines, ...added]);
      if (next.draft) {
        setDraft(next.draft);
        setDraftText(JSON.stringify(next.draft, null, 2));
      }
    } catch (failure) {
      setError(failure.message);
    }
  }

  async function confirm(event) {
    event.preventDefault();
    try {
      const edited = JSON.parse(draftText);
      await api(`/onboarding/${sessionId}/confirm`, { method: "POST", body: edited });
      setSaved(true);
      setError(null);
    } catch (failure) {
      setError(failure.message);
    }
  }

  return html`<section class="onboarding">
    <h1>${t("onb.title")}</h1>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${!sessionId && html`<button class="primary" onClick=${start}>${t("onb.start")}</button>`}
    <ol class="messages">
      ${lines.map((line) => html`<li class=${`msg ${line.who === "me" ? "msg-out" : "msg-in"}`}><p class="text">${line.text}</p></li>`)}
    </ol>
    ${sessionId && !draft &&
    html`<form class="composer" onSubmit=${send}>
      <label class="sr-only" for="answer">${t("onb.answer")}</label>
      <textarea id="answer" rows="2" value=${answer} onInput=${(e) => setAnswer(e.target.value)}></textarea>
      <button type="submit" class="primary">${t("onb.send")}</button>
    </form>`}
    ${draft &&
    html`<form onSubmit=${confirm}>
      <h2>${t("onb.draft")}</h2>
      <textarea class="code" rows="16" spellcheck="false" value=${draftText}
        onInput=${(e) => setDraftText(e.target.value)}></textarea>
      ${saved ? html`<p class="ok" role="status">${t("onb.saved")}</p>` : html`<button type="submit" class="primary">${t("onb.confirm")}</button>`}
    </form>`}
  </section>`;
}
