// Behaviour without inline scripts (the Content-Security-Policy forbids them).
// A form's data-confirm asks before it is sent; a button's own data-confirm asks only when
// that button sends it (a form whose buttons are "agree" and "decline").
document.addEventListener("submit", function (event) {
  var form = event.target;
  var button = event.submitter;
  var question = (button && button.getAttribute("data-confirm")) ||
    form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target.name === "kind") {
    var tier = document.getElementById("firm-tier-group");
    if (tier) { tier.hidden = target.value !== "firm"; }
  }
});
// Bars sized by a whole-number percentage the server computes from fen (no inline style: CSP).
document.querySelectorAll("[data-share]").forEach(function (node) {
  var share = Math.max(0, Math.min(100, parseInt(node.getAttribute("data-share"), 10) || 0));
  node.style.width = share + "%";
  node.setAttribute("aria-hidden", "true");
});
