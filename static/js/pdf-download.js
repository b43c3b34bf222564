// "Preparing the PDF…" (templates/briefs/pdf_preparing.html), with JavaScript the one way to the
// file: once htmx swaps in the ready status, open the file (CSP: no inline script). The ready
// status ends htmx's polling (286) and is marked started, so the download starts once; the
// page's refresh applies only without JavaScript (<noscript>).
(function () {
  "use strict";
  document.addEventListener("htmx:afterSettle", function () {
    var ready = document.querySelector("[data-pdf-ready]:not([data-started])");
    if (ready) {
      ready.setAttribute("data-started", "");
      window.location.assign(ready.getAttribute("data-pdf-ready"));
    }
  });
})();
