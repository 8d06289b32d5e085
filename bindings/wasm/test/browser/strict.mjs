// Control: without 'wasm-unsafe-eval' the browser must refuse the module, which
// shows the CSP of the main page is really enforced and is the one relaxation needed.
import init from "../../dist/web/vault_wasm.js";

init().then(
  () => {
    window.__strictResult = { blocked: false };
  },
  (e) => {
    window.__strictResult = { blocked: true, message: String(e && e.message) };
  },
);
