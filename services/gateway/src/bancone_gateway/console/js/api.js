// The session (tokens from POST /v1/auth/login, kept in sessionStorage: gone with the tab) and
// fetch() with the bearer token, one refresh on 401, and RFC 9457 problems as ApiError.

const KEY = "bancone.session";

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

export const session = {
  get() {
    try {
      return JSON.parse(sessionStorage.getItem(KEY)) || null;
    } catch {
      return null;
    }
  },
  set(value) {
    sessionStorage.setItem(KEY, JSON.stringify(value));
  },
  clear() {
    sessionStorage.removeItem(KEY);
  },
};

let onLoggedOut = () => {};
export function whenLoggedOut(callback) {
  onLoggedOut = callback;
}

function fromPair(pair) {
  return {
    access_token: pair.access_token,
    refresh_token: pair.refresh_token,
    operator_id: pair.operator_id,
    tenant_id: pair.tenant_id,
    role: pair.role,
    email: pair.email,
  };
}

async function problemOf(response) {
  const type = response.headers.get("content-type") || "";
  if (type.includes("json")) {
    try {
      return await response.json();
    } catch {
      return null;
    }
  }
  return { title: response.statusText, status: response.status };
}

export async function login(email, password, tenantId) {
  const body = { email, password };
  if (tenantId) body.tenant_id = tenantId;
  const response = await fetch("/v1/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  const pair = await response.json();
  session.set({ ...fromPair(pair), email });
  return session.get();
}

let refreshing = null;
export async function refresh() {
  const current = session.get();
  if (!current) throw new ApiError(401, { title: "Not logged in" });
  refreshing =
    refreshing ||
    fetch("/v1/auth/refresh", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: current.refresh_token, tenant_id: current.tenant_id }),
    })
      .then(async (response) => {
        if (!response.ok) {
          session.clear();
          onLoggedOut();
          throw new ApiError(response.status, await problemOf(response));
        }
        session.set({ ...fromPair(await response.json()), email: current.email });
      })
      .finally(() => {
        refreshing = null;
      });
  return refreshing;
}

export async function logout() {
  const current = session.get();
  session.clear();
  if (current) {
    await fetch("/v1/auth/logout", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: current.refresh_token }),
    }).catch(() => {});
  }
  onLoggedOut();
}

/** `/v1/tenants/<tenant>` + path */
export function tenantPath(path) {
  const current = session.get();
  return `/v1/tenants/${encodeURIComponent(current ? current.tenant_id : "")}${path}`;
}

export function authHeaders() {
  const current = session.get();
  return current ? { Authorization: `Bearer ${current.access_token}` } : {};
}

/** fetch() a JSON API; `path` starting with `/v1/` is absolute, else tenant-relative. */
export async function api(path, { method = "GET", body, query, headers = {}, raw } = {}) {
  let url = path.startsWith("/v1/") ? path : tenantPath(path);
  if (query) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      for (const one of Array.isArray(value) ? value : [value]) {
        if (one !== undefined && one !== null && one !== "") params.append(name, one);
      }
    }
    const text = params.toString();
    if (text) url += `?${text}`;
  }
  const send = () => {
    const init = { method, headers: { ...authHeaders(), ...headers } };
    if (raw !== undefined) init.body = raw;
    else if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init);
  };
  let response = await send();
  if (response.status === 401 && session.get()) {
    await refresh();
    response = await send();
  }
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  return type.includes("json") ? response.json() : response.text();
}

/** A failure as text: each named field of a 422 on its own line, else the problem's detail. */
export function problemText(failure) {
  const errors = failure.problem && failure.problem.errors;
  if (Array.isArray(errors) && errors.length) {
    return errors.map((e) => `${e.field || e.location || ""}: ${e.message || e.detail || ""}`).join("\n");
  }
  return failure.message;
}

/** The list inside a paged answer (`{"items": [...]}`) or a bare list. */
export function itemsOf(answer) {
  if (Array.isArray(answer)) return answer;
  return (answer && answer.items) || [];
}

export function can(role, wanted) {
  const order = ["viewer", "agent", "admin", "owner"];
  return order.indexOf(role) >= order.indexOf(wanted);
}
