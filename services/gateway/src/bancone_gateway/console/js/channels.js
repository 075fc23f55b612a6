// The tenant's WhatsApp numbers (the gateway's `GET /channels`, admins only): templates and
// campaigns act on one number's account, so the pages that write them offer a choice.
import { useEffect, useState } from "./lib.js";
import { api, itemsOf } from "./api.js";

/** The active channels, loaded once when `enabled` (viewers may not list them). */
export function useChannels(enabled) {
  const [channels, setChannels] = useState([]);
  useEffect(() => {
    if (!enabled) return;
    api("/channels")
      .then((found) => setChannels(itemsOf(found).filter((c) => c.status === "active")))
      .catch(() => setChannels([]));
  }, [enabled]);
  return channels;
}

export function channelLabel(channel) {
  return channel.display_phone_number
    ? `${channel.display_phone_number} (${channel.phone_number_id})`
    : channel.phone_number_id;
}

/** The distinct `{{n}}` numbers of a template text, in order (1, 2, ...). */
export function placeholdersOf(text) {
  const found = new Set();
  for (const match of String(text || "").matchAll(/\{\{\s*(\d+)\s*\}\}/g)) found.add(Number(match[1]));
  return [...found].sort((a, b) => a - b);
}

/** The BODY component's text of a template as the notifier lists it. */
export function bodyOf(template) {
  const body = (template.components || []).find((c) => String(c.type).toUpperCase() === "BODY");
  return (body && body.text) || "";
}
