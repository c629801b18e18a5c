/* kratom_nlp fact-checkers' desk: progressive enhancements only; every action works without it.
   Served from this server ('self'); the Content-Security-Policy allows no other script. */
(function () {
  "use strict";

  function filterClaims(form) {
    var wanted = {};
    ["evidence", "strength", "overclaim", "status"].forEach(function (name) {
      var field = form.elements[name];
      wanted[name] = field ? field.value : "";
    });
    var groups = document.querySelectorAll("#claims-table tbody.claim");
    var shown = 0;
    groups.forEach(function (group) {
      var ok = Object.keys(wanted).every(function (name) {
        return !wanted[name] || group.dataset[name] === wanted[name];
      });
      group.hidden = !ok;
      if (ok) { shown += 1; }
    });
    var count = document.getElementById("filter-count");
    if (count) { count.textContent = shown + " of " + groups.length + " claims shown"; }
    var params = new URLSearchParams();
    Object.keys(wanted).forEach(function (name) {
      if (wanted[name]) { params.set(name, wanted[name]); }
    });
    var query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + "#claims");
  }

  function onReady() {
    var filters = document.getElementById("claim-filters");
    if (filters) {
      filters.addEventListener("change", function () { filterClaims(filters); });
      filters.addEventListener("submit", function (event) {
        event.preventDefault();
        filterClaims(filters);
      });
    }

    var analyse = document.getElementById("analyse-form");
    if (analyse) {
      /* A file over the server's limit is refused here, before it is sent. */
      var file = document.getElementById("file");
      var limit = parseInt(analyse.dataset.maxBytes || "0", 10);
      var status0 = document.getElementById("analyse-status");
      if (file && limit) {
        file.addEventListener("change", function () {
          var tooBig = file.files.length && file.files[0].size > limit;
          file.setCustomValidity(tooBig ? "The file is larger than the desk's limit of " +
            limit.toLocaleString("en") + " bytes." : "");
          if (status0) { status0.textContent = tooBig ? file.validationMessage : ""; }
        });
      }
      analyse.addEventListener("submit", function () {
        var button = document.getElementById("analyse");
        var status = document.getElementById("analyse-status");
        if (button) { button.disabled = true; button.textContent = "Analysing\u2026"; }
        if (status) { status.textContent = "Reading the article and grading its claims\u2026"; }
      });
    }

    /* Opening a claim's review from the highlighted text or after saving. */
    var target = location.hash.match(/^#claim-([\w-]+)$/);
    if (target) {
      var details = document.getElementById("review-" + target[1]);
      var saved = document.querySelector("#claim-" + target[1] + " .saved");
      if (details && !saved) { details.open = true; }
    }

    /* A rejected claim keeps its labels; grey them out so it is clear they do not count. */
    document.querySelectorAll("form.review-form").forEach(function (form) {
      function sync() {
        var rejected = form.elements.status && form.elements.status.value === "rejected";
        ["evidence", "cue", "strength", "overclaim"].forEach(function (name) {
          if (form.elements[name]) { form.elements[name].disabled = rejected; }
        });
      }
      form.addEventListener("change", sync);
      sync();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", onReady);
  } else {
    onReady();
  }
})();
