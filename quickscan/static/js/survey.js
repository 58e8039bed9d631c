/* Survey enhancements; every page works without this script.
 * - live character counters under comment fields ("n van 2000 tekens", announced politely);
 * - Escape closes an open help text and returns focus to its summary;
 * - a copy button for the personal resume link;
 * - focus moves to the error summary when a page comes back with errors.
 */
(function () {
  "use strict";

  function setupCounter(textarea) {
    var counter = document.getElementById(textarea.getAttribute("data-counter"));
    if (!counter) { return; }
    var max = parseInt(counter.getAttribute("data-max"), 10);
    var template = counter.getAttribute("data-template") || "{count}";
    var timer = null;
    function render() {
      var count = textarea.value.length;
      counter.textContent = template.replace("{count}", String(count));
      counter.classList.toggle("qs-counter--over", count > max);
    }
    textarea.addEventListener("input", function () {
      // Debounced, so screen readers hear the count once typing pauses.
      window.clearTimeout(timer);
      timer = window.setTimeout(render, 400);
    });
    render();
  }

  function setupHelp(details) {
    details.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && details.open) {
        details.open = false;
        var summary = details.querySelector("summary");
        if (summary) { summary.focus(); }
      }
    });
  }

  function setupCopy(button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    var status = document.getElementById("kopieer-status");
    if (!target || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(target.getAttribute("href")).then(function () {
        if (status) { status.textContent = button.getAttribute("data-copied"); }
      });
    });
  }

  document.querySelectorAll("textarea[data-counter]").forEach(setupCounter);
  document.querySelectorAll("details.qs-help").forEach(setupHelp);
  document.querySelectorAll("button[data-copy-target]").forEach(setupCopy);
  var summary = document.getElementById("foutmeldingen");
  if (summary) { summary.focus(); }
})();
