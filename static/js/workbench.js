/* The broker's workbench and the forwarder's actions: small behaviours, no inline scripts (CSP). */
(function () {
  "use strict";

  // Correction forms: <select data-correct-field="id-of-value-input"> puts the chosen field's current value in the input.
  function wireCorrections(root) {
    root.querySelectorAll("[data-correct-field]").forEach(function (select) {
      if (select.dataset.wired) return;
      select.dataset.wired = "1";
      var input = document.getElementById(select.dataset.correctField);
      if (!input) return;
      select.addEventListener("change", function () {
        var option = select.options[select.selectedIndex];
        input.value = option ? option.dataset.current || "" : "";
        input.focus();
        input.select();
      });
    });
  }

  // Buttons that change many shipments ask first: <button data-confirm="text">.
  function wireConfirm(root) {
    root.querySelectorAll("[data-confirm]").forEach(function (button) {
      if (button.dataset.wired) return;
      button.dataset.wired = "1";
      button.addEventListener("click", function (e) {
        if (!window.confirm(button.dataset.confirm)) e.preventDefault();
      });
    });
  }

  // Forms whose buttons do different things (approve, reject, cancel): <form data-explicit-submit>. Enter in a field or
  // on a checkbox would submit with the first button (approve); here it submits nothing, the broker chooses the button.
  function wireExplicitSubmit(root) {
    root.querySelectorAll("form[data-explicit-submit]").forEach(function (form) {
      if (form.dataset.wired) return;
      form.dataset.wired = "1";
      form.addEventListener("keydown", function (e) {
        if (e.key === "Enter" && e.target.tagName === "INPUT") e.preventDefault();
      });
    });
  }

  // calista.js announces every page load and htmx swap (the shipment page loads its panels with htmx).
  document.addEventListener("calista:init", function (e) {
    var root = (e.detail && e.detail.root) || document;
    wireCorrections(root);
    wireConfirm(root);
    wireExplicitSubmit(root);
  });
})();
