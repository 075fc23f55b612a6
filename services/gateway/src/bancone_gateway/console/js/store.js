// The conversations the console knows, kept current from the live feed; a change of state to
// waiting_for_human plays a short sound and the title counts the conversations waiting.
import { api } from "./api.js";
import { onFeedEvent } from "./feed.js";
import { t } from "./i18n.js";

const conversations = new Map();
const listeners = new Set();
let subscribed = false;

export function knownConversations() {
  return [...conversations.values()];
}

export function onConversations(callback) {
  listeners.add(callback);
  subscribe();
  return () => listeners.delete(callback);
}

function notify(changed) {
  updateTitle();
  for (const callback of listeners) callback(changed);
}

let primed = false;

/** A page of conversations; after the first, one newly waiting for a person chimes. */
export function rememberAll(items) {
  let handOff = false;
  for (const item of items) {
    const before = conversations.get(item.id);
    handOff ||= primed && isNewHandOff(before, item);
    conversations.set(item.id, { ...before, ...item });
  }
  primed = true;
  if (handOff) chime();
  notify(null);
}

function isNewHandOff(before, item) {
  return item.state === "waiting_for_human" && (!before || before.state !== "waiting_for_human");
}

export function remember(item) {
  const before = conversations.get(item.id);
  conversations.set(item.id, { ...before, ...item });
  if (isNewHandOff(before, item)) chime();
  notify(item);
}

function updateTitle() {
  const waiting = knownConversations().filter((c) => c.state === "waiting_for_human").length;
  document.title = waiting ? `(${waiting}) ${t("app.title")}` : t("app.title");
}

function conversationIn(data) {
  for (const candidate of [data.conversation, data.item, data]) {
    if (candidate && candidate.id && candidate.state && candidate.customer_id) return candidate;
  }
  return null;
}

const pending = new Map();
function refetch(id) {
  if (pending.has(id)) return;
  pending.set(
    id,
    api(`/conversations/${encodeURIComponent(id)}`)
      .then((found) => remember(found))
      .catch(() => {})
      .finally(() => pending.delete(id)),
  );
}

function subscribe() {
  if (subscribed) return;
  subscribed = true;
  onFeedEvent((event) => {
    const data = event.data || {};
    const id = data.conversation_id || (conversationIn(data) || {}).id;
    if (!id) return;
    const carried = event.type === "conversation.changed" ? conversationIn(data) : null;
    if (carried) remember(carried);
    // Messages change the preview and unread count: read the conversation again.
    refetch(id);
  });
}

let audio = null;
export function chime() {
  window.bancone = window.bancone || {};
  window.bancone.chimes = (window.bancone.chimes || 0) + 1;
  try {
    audio = audio || new AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.4);
  } catch {
    // No audio (autoplay policy, no device): the title badge still shows it.
  }
}
