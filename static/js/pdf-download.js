// "Preparing the PDF…" (templates/briefs/pdf_preparing.html): once htmx swaps in the ready
// status, start the download (CSP: no inline script). The status ends htmx's polling (286),
// so the download starts once.
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
