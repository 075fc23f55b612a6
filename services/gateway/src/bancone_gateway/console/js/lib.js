// The one import of the vendored UI library (Preact + htm, no build step): pages import from here,
// so an upgrade changes one line.
export {
  html,
  render,
  useState,
  useEffect,
  useRef,
  useMemo,
  useCallback,
} from "../vendor/preact-htm-standalone-3.1.1.module.js";
