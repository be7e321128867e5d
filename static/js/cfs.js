/* CFS screens: the scanner field and the print buttons. Loaded by the CFS pages only; no inline scripts (CSP). */
(function () {
  "use strict";

  function scanInput() { return document.querySelector("[data-scan-input]"); }

  function refocus() {
    var input = scanInput();
    if (input && document.activeElement !== input) input.focus();
  }

  // A visual cue, never a sound: the field flashes green or red; restarted on every scan.
  function cue(result) {
    var input = scanInput();
    if (!input) return;
    input.classList.remove("scan-ok", "scan-bad");
    void input.offsetWidth;  // restart the animation
    if (result === "ok") input.classList.add("scan-ok");
    if (result === "bad") input.classList.add("scan-bad");
  }

  // The scan is in the request: empty the field at once, so the next scan starts clean.
  document.addEventListener("htmx:configRequest", function (e) {
    if (e.detail.elt.matches && e.detail.elt.matches("[data-scan-form]")) {
      var input = scanInput();
      if (input) input.value = "";
    }
  });

  // Each answer swaps in a new #scan-state; cue it once.
  document.addEventListener("htmx:afterSettle", function () {
    var state = document.getElementById("scan-state");
    if (!state || state.dataset.cued) return;
    state.dataset.cued = "1";
    cue(state.dataset.scanResult);
    refocus();
  });

  // Focus stays in the scanner field: after choosing a carrier, and after a tap anywhere that is not a control.
  document.addEventListener("change", function (e) {
    if (e.target.matches("[data-carrier]")) refocus();
  });
  document.addEventListener("click", function (e) {
    if (!scanInput()) return;
    if (e.target.closest("a, input, select, textarea, button, label, [tabindex]")) return;
    refocus();
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && e.target === scanInput()) {
      var reset = document.querySelector("[data-scan-reset]");
      if (reset) reset.click();
    }
  });

  // Print buttons of the pick list and the hand-off manifest.
  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-print]")) window.print();
  });
})();
