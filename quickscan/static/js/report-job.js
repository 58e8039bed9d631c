// Follows a report job: polls its status as JSON every two seconds, updates the progress bar
// and announces a new stage (not every percent) in the page's live region. When the report is
// ready, the download link appears and is announced. Without JavaScript the page offers a
// "Status vernieuwen" link instead.
(function () {
  "use strict";
  var box = document.getElementById("rapporttaak");
  if (!box || !window.fetch) { return; }
  var bar = document.getElementById("rapport-voortgang");
  var status = document.getElementById("rapport-status");
  var download = document.getElementById("rapport-download");
  var refresh = box.querySelector(".qs-report-job-refresh");
  var url = box.getAttribute("data-status-url");
  var lastStage = null;
  if (refresh) { refresh.hidden = true; }

  function show(data) {
    bar.value = data.percent;
    bar.textContent = data.percent + "%";
    if (data.stage !== lastStage) {
      status.textContent = data.text;
      lastStage = data.stage;
    }
    if (data.ready) {
      download.hidden = false;
    }
    if (data.failed) {
      window.location.reload();
    }
    return !(data.ready || data.failed);
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data === null) {
          if (refresh) { refresh.hidden = false; }
          return;
        }
        if (show(data)) { window.setTimeout(poll, 2000); }
      })
      .catch(function () { if (refresh) { refresh.hidden = false; } });
  }
  if (download.hidden) { window.setTimeout(poll, 1000); }
})();
