// The console's shell: hash routes (#/inbox, #/c/<id>, ...), the navigation, the language
// choice, the live feed's state and the new-hand-off alert (title badge and a short sound).
import { html, render, useEffect, useState } from "./lib.js";
import { can, logout, session, whenLoggedOut } from "./api.js";
import { LANGUAGES, language, setLanguage, t } from "./i18n.js";
import { feedState, onFeedState, startFeed, stopFeed } from "./feed.js";
import { AcceptPage } from "./pages/accept.js";
import { LoginPage } from "./pages/login.js";
import { InboxPage } from "./pages/inbox.js";
import { ConversationPage } from "./pages/conversation.js";
import { CataloguePage } from "./pages/catalogue.js";
import { SettingsPage } from "./pages/settings.js";
import { OnboardingPage } from "./pages/onboarding.js";
import { TeamPage } from "./pages/team.js";
import { UsagePage } from "./pages/usage.js";
import { ProblemsPage } from "./pages/problems.js";
import { OrdersPage } from "./pages/orders.js";
import { CampaignsPage } from "./pages/campaigns.js";
import { TemplatesPage } from "./pages/templates.js";
import { CustomersPage } from "./pages/customers.js";
import { NumbersPage } from "./pages/numbers.js";

const NAV = [
  ["inbox", "nav.inbox", "viewer"],
  ["catalogue", "nav.catalogue", "viewer"],
  ["orders", "nav.orders", "viewer"],
  ["campaigns", "nav.campaigns", "viewer"],
  ["templates", "nav.templates", "viewer"],
  ["customers", "nav.customers", "viewer"],
  ["numbers", "nav.numbers", "admin"],
  ["settings", "nav.settings", "admin"],
  ["onboarding", "nav.onboarding", "admin"],
  ["team", "nav.team", "admin"],
  ["usage", "nav.usage", "viewer"],
  ["problems", "nav.problems", "viewer"],
];

function currentRoute() {
  const parts = location.hash.replace(/^#\/?/, "").split("/");
  return { page: parts[0] || "inbox", arg: parts.slice(1).join("/") };
}

function Page({ route, me }) {
  switch (route.page) {
    case "c":
      return html`<${ConversationPage} id=${route.arg} me=${me} />`;
    case "catalogue":
      return html`<${CataloguePage} me=${me} tab=${route.arg || "products"} />`;
    case "settings":
      return html`<${SettingsPage} me=${me} />`;
    case "onboarding":
      return html`<${OnboardingPage} me=${me} />`;
    case "team":
      return html`<${TeamPage} me=${me} />`;
    case "usage":
      return html`<${UsagePage} me=${me} />`;
    case "problems":
      return html`<${ProblemsPage} me=${me} />`;
    case "campaigns":
      return html`<${CampaignsPage} me=${me} />`;
    case "templates":
      return html`<${TemplatesPage} me=${me} />`;
    case "customers":
      return html`<${CustomersPage} me=${me} arg=${route.arg} />`;
    case "numbers":
      return html`<${NumbersPage} me=${me} />`;
    case "orders":
      return html`<${OrdersPage} me=${me} arg=${route.arg} />`;
    default:
      return html`<${InboxPage} me=${me} />`;
  }
}

function LanguagePicker({ onChange }) {
  return html`<label class="lang">
    <span class="sr-only">${t("nav.language")}</span>
    <select
      value=${language()}
      onChange=${(e) => {
        setLanguage(e.target.value);
        onChange();
      }}
    >
      ${LANGUAGES.map(([code, name]) => html`<option value=${code}>${name}</option>`)}
    </select>
  </label>`;
}

function App() {
  const [me, setMe] = useState(session.get());
  const [route, setRoute] = useState(currentRoute());
  const [, setTick] = useState(0);
  const [feed, setFeed] = useState(feedState);

  useEffect(() => {
    const onHash = () => setRoute(currentRoute());
    window.addEventListener("hashchange", onHash);
    whenLoggedOut(() => {
      stopFeed();
      setMe(null);
    });
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => {
    if (!me) return undefined;
    startFeed();
    return onFeedState(setFeed);
  }, [me]);
  useEffect(() => {
    document.documentElement.lang = language();
  });

  const rerender = () => setTick((n) => n + 1);
  const linkPage = location.pathname.match(/\/(accept-invite|reset-password)$/);
  if (linkPage) {
    return html`<main id="main" class="login-main">
      <div class="login-top"><${LanguagePicker} onChange=${rerender} /></div>
      <${AcceptPage} kind=${linkPage[1] === "accept-invite" ? "invite" : "reset"} />
    </main>`;
  }
  if (!me) {
    return html`<main id="main" class="login-main">
      <div class="login-top"><${LanguagePicker} onChange=${rerender} /></div>
      <${LoginPage} onLogin=${(who) => setMe(who)} />
    </main>`;
  }
  const active = route.page === "c" ? "inbox" : route.page;
  return html`<div class="shell">
    <header class="top">
      <a class="brand" href="#/inbox">${t("app.title")}</a>
      <nav aria-label="main">
        ${NAV.filter(([, , role]) => can(me.role, role)).map(
          ([page, key]) =>
            html`<a href=${`#/${page}`} aria-current=${active === page ? "page" : null}
              >${t(key)}</a
            >`,
        )}
      </nav>
      <div class="who">
        <span class=${`feed feed-${feed}`} data-feed=${feed}
          >${feed === "live" ? t("feed.live") : t("feed.reconnecting")}</span
        >
        <span class="me" title=${me.operator_id}>${me.email} · ${t(`role.${me.role}`)}</span>
        <${LanguagePicker} onChange=${rerender} />
        <button class="link" onClick=${() => logout()}>${t("nav.logout")}</button>
      </div>
    </header>
    <main id="main" tabindex="-1"><${Page} route=${route} me=${me} /></main>
  </div>`;
}

const root = document.getElementById("app");
root.textContent = ""; // the "loading" line of index.html
render(html`<${App} />`, root);
