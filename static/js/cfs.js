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

  // Each scan (ended by Enter, or the Enter button) is taken from the field at once and the field emptied, so that a
  // fast second scan cannot mix with the first; htmx queues the requests on the form (hx-sync) and sends the pending
  // HAWB as the previous answer left it. The target is the form's hx-target, found when the request leaves the queue:
  // a target given here would be the #scan-state of the moment of the scan, which the answers before it replace, and
  // htmx drops an answer whose target has left the page.
  function send(form, source) {
    var input = scanInput();
    var code = input.value;
    input.value = "";
    window.htmx.ajax("POST", form.action, { source: source || form, values: { code: code } });
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches("[data-scan-form]") || !window.htmx) return;
    e.preventDefault();
    send(form);
  });
  // A form with a scan field inside (the collection: scan MAWBs, then record the truck): Enter in the scan field is a
  // scan, and the form's own submit button still submits it. The scan is sent from the field, which htmx sends with its
  // form's values and target but without validating the form: the truck's fields are still empty while MAWBs are scanned.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.target !== scanInput() || !window.htmx) return;
    var form = e.target.form;
    if (!form || !form.matches("[data-scan-within]")) return;
    e.preventDefault();
    send(form, e.target);
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
    // Tapping the carrier already chosen fires no change event, and the tap put focus on its radio: take it back.
    var label = e.target.closest("label");
    if (e.target.matches("[data-carrier]") || (label && label.control && label.control.matches("[data-carrier]"))) {
      window.setTimeout(refocus, 0);
      return;
    }
    if (e.target.closest("a, input, select, textarea, button, label, [tabindex]")) return;
    refocus();
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && e.target === scanInput()) {
      var reset = document.querySelector("[data-scan-reset]");
      if (reset) reset.click();
    }
  });

  // The field is focused on arrival too (autofocus is not honoured after every kind of navigation).
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", refocus); else refocus();

  // Print buttons of the pick list and the hand-off manifest (the page), and of the carrier card (data-print="card": the
  // card alone, the rest of the scan page hidden while it prints).
  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-print]");
    if (!button) return;
    if (button.dataset.print === "card") document.body.classList.add("print-card-only");
    window.print();
  });
  window.addEventListener("afterprint", function () {
    document.body.classList.remove("print-card-only");
    refocus();
  });
})();
