// Scroll regions of wide tables (progressive enhancement). Every `.qs-table-container` is a
// focusable region that scrolls sideways; its edge shadows (CSS) already show hidden columns.
// When the table does not fit, this script also marks the region
// (`qs-table-container--overflows`) and shows a short hint above it; the hint hides again as
// soon as the table fits (a wider window, a smaller font). The text comes from a data
// attribute on <body> (translated).
(function () {
  "use strict";

  var text = document.body.getAttribute("data-scroll-hint");
  var regions = document.querySelectorAll(".qs-table-container");
  if (!text || !regions.length) {
    return;
  }

  function hintFor(region) {
    var hint = region.previousElementSibling;
    if (hint && hint.classList.contains("qs-scroll-hint")) {
      return hint;
    }
    hint = document.createElement("p");
    hint.className = "qs-scroll-hint";
    hint.textContent = text;
    hint.hidden = true;
    region.parentNode.insertBefore(hint, region);
    return hint;
  }

  function update(region) {
    var overflows = region.scrollWidth > region.clientWidth + 1;
    region.classList.toggle("qs-table-container--overflows", overflows);
    hintFor(region).hidden = !overflows;
  }

  Array.prototype.forEach.call(regions, update);
  if ("ResizeObserver" in window) {
    var observer = new ResizeObserver(function (entries) {
      entries.forEach(function (entry) { update(entry.target); });
    });
    Array.prototype.forEach.call(regions, function (region) { observer.observe(region); });
  } else {
    window.addEventListener("resize", function () {
      Array.prototype.forEach.call(regions, update);
    });
  }
}());
