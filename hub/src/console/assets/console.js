// Sangam console: keyboard control of the review queue. Everything works without it.
(function () {
  "use strict";
  var queue = document.getElementById("queue");
  if (!queue) return;
  var rows = Array.prototype.slice.call(queue.querySelectorAll("tbody tr[data-href]"));
  if (!rows.length) return;
  var at = 0;
  function focus(i) {
    at = Math.max(0, Math.min(rows.length - 1, i));
    rows[at].focus();
  }
  focus(0);
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) {
      if (e.key === "Escape") { t.blur(); rows[at].focus(); }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var row = rows[at];
    if (e.key === "j" || e.key === "ArrowDown") { focus(at + 1); e.preventDefault(); }
    else if (e.key === "k" || e.key === "ArrowUp") { focus(at - 1); e.preventDefault(); }
    else if (e.key === "Enter") { window.location.href = row.getAttribute("data-href"); }
    else if (e.key === "c") { row.querySelector("input.qc").focus(); e.preventDefault(); }
    else {
      var b = row.querySelector('button[data-key="' + e.key + '"]');
      if (b) { b.click(); e.preventDefault(); }
    }
  });
})();
