/* The inwoners survey, as progressive enhancement: without this script every statement is on
   one page and everything works. With it:
   - "Lees voor" buttons appear when the browser has its own speech synthesis
     (window.speechSynthesis; no external service), reading the statement and the answers;
   - on small screens (up to 40em) one statement is shown at a time, with "Vorige" and
     "Volgende" buttons; focus moves to the statement, so keyboard and screen-reader users
     keep their place. */
(function () {
  "use strict";
  var form = document.querySelector(".qs-er-form");
  if (!form) { return; }
  var lang = document.documentElement.lang || "nl";

  if ("speechSynthesis" in window && typeof window.SpeechSynthesisUtterance === "function") {
    form.querySelectorAll(".qs-er-speak").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var fieldset = button.closest("fieldset");
        var text = document.getElementById(button.dataset.speak).textContent;
        var options = Array.prototype.map.call(fieldset.querySelectorAll(".qs-er-option label"),
          function (label) { return label.textContent.trim(); });
        window.speechSynthesis.cancel();
        var utterance = new window.SpeechSynthesisUtterance(text + ". " + options.join(". "));
        utterance.lang = lang === "en" ? "en-GB" : "nl-NL";
        window.speechSynthesis.speak(utterance);
      });
    });
  }

  var items = Array.prototype.slice.call(form.querySelectorAll(".qs-er-item"));
  var small = window.matchMedia("(max-width: 40em)");
  var submit = form.querySelector(".qs-er-send");
  var current = 0;
  var navs = [];

  function show(index, focus) {
    current = index;
    items.forEach(function (item, i) {
      item.classList.toggle("qs-er-step-hidden", small.matches && i !== index);
    });
    if (submit) {
      submit.classList.toggle("qs-er-step-hidden", small.matches && index !== items.length - 1);
    }
    if (focus && small.matches) {
      var legend = items[index].querySelector(".qs-er-text");
      legend.setAttribute("tabindex", "-1");
      legend.focus();
    }
  }

  items.forEach(function (item, index) {
    var nav = document.createElement("div");
    nav.className = "qs-er-nav";
    if (index > 0) {
      var back = document.createElement("button");
      back.type = "button";
      back.className = "utrecht-button utrecht-button--secondary-action";
      back.textContent = form.dataset.previous || "Vorige zin";
      back.addEventListener("click", function () { show(index - 1, true); });
      nav.appendChild(back);
    }
    if (index < items.length - 1) {
      var next = document.createElement("button");
      next.type = "button";
      next.className = "utrecht-button utrecht-button--primary-action";
      next.textContent = form.dataset.next || "Volgende zin";
      next.addEventListener("click", function () { show(index + 1, true); });
      nav.appendChild(next);
    }
    item.appendChild(nav);
    navs.push(nav);
  });

  function layout() {
    navs.forEach(function (nav) { nav.classList.toggle("qs-er-step-hidden", !small.matches); });
    show(current, false);
  }
  if (small.addEventListener) { small.addEventListener("change", layout); }
  layout();
})();
