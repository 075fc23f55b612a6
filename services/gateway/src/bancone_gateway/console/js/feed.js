// The tenant's live feed: GET /events read with fetch() and a ReadableStream (not EventSource,
// so the bearer token goes in a header, never in a URL), parsed as Server-Sent Events, resumed
// after a drop with Last-Event-ID so nothing is missed.
import { authHeaders, refresh, tenantPath } from "./api.js";

const listeners = new Set();
const stateListeners = new Set();
let started = false;
let stopped = false;
let controller = null;
let lastEventId = null;
export let feedState = "connecting";

// What arrived and when (for the browser tests' delay measurement); the last 500 only.
window.bancone = window.bancone || {};
window.bancone.feedLog = window.bancone.feedLog || [];

export function onFeedEvent(callback) {
  listeners.add(callback);
  return () => listeners.delete(callback);
}

export function onFeedState(callback) {
  stateListeners.add(callback);
  return () => stateListeners.delete(callback);
}

function setState(state) {
  feedState = state;
  for (const callback of stateListeners) callback(state);
}

function dispatch(block) {
  let id = null;
  let type = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "id") id = value;
    else if (field === "event") type = value;
    else if (field === "data") data.push(value);
  }
  if (id !== null) lastEventId = id;
  if (type === "reset") {
    // The agent no longer keeps the events since our last one: what the page shows may be
    // stale, so start over from the server's state (the feed then runs from now).
    window.location.reload();
    return;
  }
  if (!data.length) return;
  let payload;
  try {
    payload = JSON.parse(data.join("\n"));
  } catch {
    payload = { text: data.join("\n") };
  }
  const event = { id, type, data: payload, receivedAt: Date.now() };
  const log = window.bancone.feedLog;
  log.push(event);
  if (log.length > 500) log.splice(0, log.length - 500);
  for (const callback of listeners) callback(event);
}

async function readOnce() {
  controller = new AbortController();
  const headers = { ...authHeaders(), Accept: "text/event-stream" };
  if (lastEventId) headers["Last-Event-ID"] = lastEventId;
  const response = await fetch(tenantPath("/events"), { headers, signal: controller.signal });
  if (response.status === 401) {
    await refresh();
    return;
  }
  if (!response.ok || !response.body) throw new Error(`feed: HTTP ${response.status}`);
  setState("live");
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer = (buffer + value).replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      dispatch(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
    }
  }
}

export function startFeed() {
  if (started) return;
  started = true;
  stopped = false;
  (async () => {
    let wait = 500;
    while (!stopped) {
      try {
        await readOnce();
        wait = 500;
      } catch {
        if (stopped) break;
        wait = Math.min(wait * 2, 15000);
      }
      if (stopped) break;
      setState("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })();
}

export function stopFeed() {
  stopped = true;
  started = false;
  lastEventId = null;
  if (controller) controller.abort();
}

/** Call `callback` every `ms` while the feed is not live (an agent without /events, a proxy
 * that buffers): the pages stay current, only slower. Returns the stop function. */
export function pollWhileNotLive(callback, ms = 5000) {
  const timer = setInterval(() => {
    if (feedState !== "live") callback();
  }, ms);
  return () => clearInterval(timer);
}
