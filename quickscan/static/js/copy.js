// Copy buttons for invitation links (progressive enhancement): without JavaScript the link
// stays in a read-only text field the user can select; with it, a button copies the link and
// a status message (role="status") says so. Messages come from data attributes (translated).
(function () {
  "use strict";

  function announce(button, message) {
    var field = button.closest(".qs-copy");
    var status = field ? field.querySelector(".qs-copy-status") : null;
    if (status) {
      status.textContent = "";
      window.setTimeout(function () { status.textContent = message; }, 50);
    }
  }

  function fallbackCopy(input) {
    input.focus();
    input.select();
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  function copy(button) {
    var input = document.getElementById(button.getAttribute("data-copy-target"));
    if (!input) {
      return;
    }
    var ok = function () { announce(button, button.getAttribute("data-copied")); };
    var failed = function () {
      if (fallbackCopy(input)) {
        ok();
      } else {
        input.focus();
        input.select();
        announce(button, button.getAttribute("data-copy-failed"));
      }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(ok, failed);
    } else {
      failed();
    }
  }

  function init() {
    var buttons = document.querySelectorAll("[data-copy-target]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { copy(button); });
    });
    var inputs = document.querySelectorAll("input.qs-link");
    Array.prototype.forEach.call(inputs, function (input) {
      input.addEventListener("focus", function () { input.select(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
