// Progress of a background job (templates/_progress.html): poll its JSON status every
// second, move the bar, say how far it is, and reload the page when the work is over (the
// page then shows the download or the reason it failed). No inline styles (CSP): the
// width is set through the CSSOM, which the policy allows.
(function () {
  "use strict";
  var QUARTERS = ["w-25", "w-50", "w-75", "w-100"];

  function show(box, status) {
    var bar = box.querySelector("[data-job-bar]");
    var holder = box.querySelector("[data-job-bar-box]");
    var text = box.querySelector("[data-job-text]");
    if (status.percent !== null && status.percent !== undefined) {
      var percent = Math.max(0, Math.min(100, status.percent));
      QUARTERS.forEach(function (name) { bar.classList.remove(name); });
      bar.classList.remove("progress-bar-striped", "progress-bar-animated");
      bar.style.width = percent + "%";
      holder.removeAttribute("aria-busy");
      holder.setAttribute("aria-valuemax", String(status.total || 100));
      holder.setAttribute("aria-valuenow", String(status.total ? status.done : 100));
      holder.setAttribute("aria-valuetext", status.text);
    }
    if (text && text.textContent !== status.text) { text.textContent = status.text; }
  }

  function watch(box) {
    var url = box.getAttribute("data-job-status-url");
    var failures = 0;
    function poll() {
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"},
                  cache: "no-store"})
        .then(function (response) {
          if (!response.ok) { throw new Error("status " + response.status); }
          return response.json();
        })
        .then(function (status) {
          failures = 0;
          show(box, status);
          if (status.finished) {
            window.location.reload();
          } else {
            window.setTimeout(poll, 1000);
          }
        })
        .catch(function () {
          // a dropped connection or a restarting server: keep trying, more slowly
          failures += 1;
          if (failures < 30) { window.setTimeout(poll, 3000); }
        });
    }
    var initial = box.querySelector("[data-job-bar][data-job-percent]");
    if (initial) {
      show(box, {percent: parseInt(initial.getAttribute("data-job-percent"), 10),
                 text: box.querySelector("[data-job-text]").textContent,
                 total: parseInt(box.querySelector("[data-job-bar-box]")
                   .getAttribute("aria-valuemax"), 10),
                 done: parseInt(box.querySelector("[data-job-bar-box]")
                   .getAttribute("aria-valuenow"), 10)});
    }
    window.setTimeout(poll, 1000);
  }

  document.querySelectorAll("[data-job-status-url]").forEach(watch);
}());
