/* Calista's small behaviours. Loaded on every page; no inline scripts anywhere (CSP). */
(function () {
  "use strict";

  // Progress bars: <div class="progress-bar" data-progress="42"> sets its width from data.
  function paintProgress(root) {
    root.querySelectorAll("[data-progress]").forEach(function (bar) {
      var value = Math.max(0, Math.min(100, parseFloat(bar.dataset.progress) || 0));
      bar.style.width = value + "%";
      bar.setAttribute("aria-valuenow", String(Math.round(value)));
    });
  }

  // Drop zones: <label class="dropzone" data-dropzone-for="id_file"> forwards dropped files to the input.
  function wireDropzones(root) {
    root.querySelectorAll("[data-dropzone-for]").forEach(function (zone) {
      if (zone.dataset.wired) return;
      zone.dataset.wired = "1";
      var input = document.getElementById(zone.dataset.dropzoneFor);
      var label = zone.querySelector("[data-dropzone-label]");
      var form = input.form;
      var limit = form ? parseInt(form.dataset.maxBytes || "0", 10) : 0;
      var warning = form ? form.querySelector("[data-too-large]") : null;
      function tooLarge() { return limit > 0 && input.files.length > 0 && input.files[0].size > limit; }
      // A file over the limit is refused here, before minutes of sending it; the server refuses it too.
      function show() {
        if (label && input.files.length) label.textContent = input.files[0].name;
        if (warning) warning.classList.toggle("d-none", !tooLarge());
      }
      input.addEventListener("change", show);
      if (form) form.addEventListener("submit", function (e) { if (tooLarge()) { e.preventDefault(); show(); } });
      ["dragenter", "dragover"].forEach(function (name) {
        zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("dragover"); });
      });
      ["dragleave", "drop"].forEach(function (name) {
        zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.remove("dragover"); });
      });
      zone.addEventListener("drop", function (e) {
        if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; show(); }
      });
    });
  }

  // Select-all checkboxes: <input type="checkbox" data-select-all="name-of-row-checkboxes">.
  function wireSelectAll(root) {
    root.querySelectorAll("[data-select-all]").forEach(function (box) {
      if (box.dataset.wired) return;
      box.dataset.wired = "1";
      box.addEventListener("change", function () {
        document.querySelectorAll('input[type=checkbox][name="' + box.dataset.selectAll + '"]').forEach(function (c) { c.checked = box.checked; });
      });
    });
  }

  // Copy buttons: <button data-copy-target="id-of-element">.
  function wireCopy(root) {
    root.querySelectorAll("[data-copy-target]").forEach(function (btn) {
      if (btn.dataset.wired) return;
      btn.dataset.wired = "1";
      btn.addEventListener("click", function () {
        var el = document.getElementById(btn.dataset.copyTarget);
        var text = el.value !== undefined ? el.value : el.textContent;
        if (navigator.clipboard) navigator.clipboard.writeText(text);
        btn.classList.add("btn-success");
        setTimeout(function () { btn.classList.remove("btn-success"); }, 800);
      });
    });
  }

  // Auto-submit selects: <select data-autosubmit> submits its form when a choice is made with the mouse. With the
  // keyboard, arrows only move through the choices: Enter, or leaving the select, submits what was chosen.
  function wireAutosubmit(root) {
    root.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      if (el.dataset.wired) return;
      el.dataset.wired = "1";
      var keyed = false;
      var initial = el.value;
      el.addEventListener("pointerdown", function () { keyed = false; });
      el.addEventListener("keydown", function (e) {
        if (e.key === "Enter") { e.preventDefault(); el.form.requestSubmit(); } else if (e.key !== "Tab") { keyed = true; }
      });
      el.addEventListener("change", function () { if (!keyed) el.form.requestSubmit(); });
      el.addEventListener("blur", function () { if (keyed && el.value !== initial) el.form.requestSubmit(); });
    });
  }

  function init(root) {
    paintProgress(root);
    wireDropzones(root);
    wireSelectAll(root);
    wireCopy(root);
    wireAutosubmit(root);
    document.dispatchEvent(new CustomEvent("calista:init", { detail: { root: root } }));
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.body && document.body.addEventListener("htmx:afterSwap", function (e) { init(e.target); });
  window.Calista = { init: init };
})();
