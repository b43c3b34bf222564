// The browser's time zone, offered where the server cannot know it (CSP: no inline script).
// - base.html, first sign-in: fills in and shows the proposal form; one click posts it.
// - base_public.html, the executive link: "Show in my time zone" stores the zone in a cookie
//   read only under /b/ (briefs.middleware.LINK_TIME_ZONE_COOKIE) and reloads.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone) {
    return;
  }
  var cookie = "link_tz";
  var secure = location.protocol === "https:" ? "; secure" : "";

  function showZoneName(root) {
    root.querySelectorAll("[data-browser-zone-name]").forEach(function (element) {
      element.textContent = zone;
    });
  }

  document.querySelectorAll("[data-zone-proposal]").forEach(function (form) {
    if (form.dataset.current === zone) {
      return;
    }
    form.querySelectorAll("[data-browser-zone]").forEach(function (button) {
      button.value = zone;
    });
    showZoneName(form);
    form.hidden = false;
  });

  var script = document.querySelector("script[data-zone]");
  var shown = script ? script.dataset.zone : null;
  document.querySelectorAll("[data-link-zone]").forEach(function (button) {
    if (shown === zone) {
      return;
    }
    showZoneName(button);
    button.hidden = false;
    button.addEventListener("click", function () {
      document.cookie = cookie + "=" + zone + "; path=/b/; max-age=31536000; samesite=lax" + secure;
      location.reload();
    });
  });
  document.querySelectorAll("[data-link-zone-reset]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      document.cookie = cookie + "=; path=/b/; max-age=0; samesite=lax" + secure;
      location.reload();
    });
  });
})();
