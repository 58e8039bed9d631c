// The projector view of the LIA vote: a button fetches the standing and rewrites the
// aria-live region (never an automatic refresh of the page).
(function () {
  "use strict";
  var button = document.getElementById("stand-bijwerken");
  var region = document.getElementById("stand");
  if (!button || !region) { return; }
  button.addEventListener("click", function () {
    fetch(button.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (state) {
        var list = document.createElement("ol");
        list.className = "utrecht-ordered-list qs-projector-list";
        state.candidates.forEach(function (candidate) {
          var item = document.createElement("li");
          item.className = "utrecht-ordered-list__item";
          item.textContent = state.show_results
            ? candidate.title + ": " + candidate.total + " " + button.dataset.votes
            : candidate.title;
          list.appendChild(item);
        });
        region.replaceChildren(list);
        if (state.show_results) {
          var ballots = document.createElement("p");
          ballots.className = "utrecht-paragraph";
          ballots.textContent = button.dataset.ballots.replace("{count}", state.ballots);
          region.appendChild(ballots);
        }
      });
  });
})();
