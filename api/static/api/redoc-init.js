/* Starts Redoc on the API reference page (a file, not an inline script: the portal's CSP forbids those). */
(function () {
  "use strict";
  var holder = document.getElementById("redoc");
  Redoc.init(holder.dataset.schemaUrl, { hideDownloadButton: false, expandResponses: "200,201,202" }, holder);
})();
