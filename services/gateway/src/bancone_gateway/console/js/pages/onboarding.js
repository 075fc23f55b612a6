// The setup chat (agent `/onboarding`): the setup assistant asks about the shop in the
// operator's language; when it knows enough it answers `{message: null, draft: {config, faqs}}`.
// The draft is edited here and stored only on confirm (a configuration version + the FAQs).
import { html, useState } from "../lib.js";
import { api, problemText } from "../api.js";
import { language, t } from "../i18n.js";

export function OnboardingPage() {
  const [sessionId, setSessionId] = useState(null);
  const [lines, setLines] = useState([]);
  const [answer, setAnswer] = useState("");
  const [busy, setBusy] = useState(false);
  const [draft, setDraft] = useState(null);
  const [draftText, setDraftText] = useState("");
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);

  async function start() {
    setBusy(true);
    try {
      const opened = await api("/onboarding", { method: "POST", body: { language: language() } });
      setSessionId(opened.session_id);
      setLines(opened.message ? [{ who: "bot", text: opened.message }] : []);
      setError(null);
    } catch (failure) {
      setError(problemText(failure));
    } finally {
      setBusy(false);
    }
  }

  async function send(event) {
    event.preventDefault();
    const said = answer.trim();
    if (!said || busy) return;
    setBusy(true);
    try {
      const next = await api(`/onboarding/${sessionId}/answers`, { method: "POST", body: { text: said } });
      setAnswer("");
      const added = [{ who: "me", text: said }];
      if (next.message) added.push({ who: "bot", text: next.message });
      setLines((before) => [...before, ...added]);
      if (next.draft) {
        setDraft(next.draft);
        setDraftText(JSON.stringify(next.draft, null, 2));
      }
      setError(null);
    } catch (failure) {
      setError(problemText(failure));
    } finally {
      setBusy(false);
    }
  }

  async function confirm(event) {
    event.preventDefault();
    let edited;
    try {
      edited = JSON.parse(draftText);
    } catch {
      setError(t("set.invalid_json"));
      return;
    }
    setBusy(true);
    try {
      setSaved(await api(`/onboarding/${sessionId}/confirm`, { method: "POST", body: edited }));
      setError(null);
    } catch (failure) {
      setError(problemText(failure));
    } finally {
      setBusy(false);
    }
  }

  return html`<section class="onboarding">
    <h1>${t("onb.title")}</h1>
    ${error && html`<pre class="error" role="alert">${error}</pre>`}
    ${!sessionId && html`<button class="primary" data-action="start-setup" disabled=${busy} onClick=${start}>${t("onb.start")}</button>`}
    <ol class="messages" data-testid="setup-chat" aria-live="polite">
      ${lines.map((line) => html`<li class=${`msg ${line.who === "me" ? "msg-out" : "msg-in"}`} data-who=${line.who}><p class="text">${line.text}</p></li>`)}
    </ol>
    ${sessionId && !draft &&
    html`<form class="composer" data-testid="setup-answer" onSubmit=${send}>
      <label class="sr-only" for="answer">${t("onb.answer")}</label>
      <textarea id="answer" rows="2" value=${answer} onInput=${(e) => setAnswer(e.target.value)}></textarea>
      <button type="submit" class="primary" disabled=${busy}>${t("onb.send")}</button>
    </form>`}
    ${draft &&
    html`<form data-testid="setup-draft" onSubmit=${confirm}>
      <h2>${t("onb.draft")}</h2>
      <label class="sr-only" for="draft">${t("onb.draft")}</label>
      <textarea id="draft" class="code" rows="16" spellcheck="false" readonly=${saved !== null} value=${draftText}
        onInput=${(e) => setDraftText(e.target.value)}></textarea>
      ${saved
        ? html`<p class="ok" role="status" data-testid="setup-saved" data-version=${saved.version}>${t("onb.saved")} (${t("set.version")} ${saved.version})</p>`
        : html`<button type="submit" class="primary" disabled=${busy}>${t("onb.confirm")}</button>`}
    </form>`}
  </section>`;
}
