// The presenter view's keys and meeting clock (templates/briefs/present/presenter.html).
// Each key presses a button that works on its own (a form, posted by htmx or plainly), so
// everything here is a shortcut; nothing needs this script. No inline code: the CSP is strict.
(function () {
  "use strict";
  var buttons = {
    ArrowRight: "step-next",
    ArrowDown: "step-next",
    ArrowLeft: "step-previous",
    ArrowUp: "step-previous",
  };
  var captures = { d: "decision", a: "action", c: "commitment", r: "resources", u: "cadence" };

  function typing(element) {
    return element && (element.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(element.tagName));
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    if (typing(event.target)) {
      if (event.key === "Escape") {
        event.target.blur();
      }
      return;
    }
    var id = buttons[event.key] || (/^[1-6]$/.test(event.key) ? "question-" + event.key : null);
    if (id) {
      var button = document.getElementById(id);
      if (button) {
        event.preventDefault();
        button.click();
      }
      return;
    }
    var kind = captures[event.key];
    var form = kind && document.getElementById("capture-" + kind);
    var first = form && form.querySelector("input:not([type=hidden]), select, textarea");
    if (first) {
      event.preventDefault();
      first.focus();
    }
  });

  var clock = document.querySelector("[data-clock-since]");
  if (clock) {
    var since = Date.parse(clock.dataset.clockSince);
    var tick = function () {
      var seconds = Math.max(0, Math.floor((Date.now() - since) / 1000));
      var rest = seconds % 60;
      clock.textContent = Math.floor(seconds / 60) + ":" + (rest < 10 ? "0" : "") + rest;
    };
    tick();
    setInterval(tick, 1000);
  }
})();
