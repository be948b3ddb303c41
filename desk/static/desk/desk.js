// The front desk's few behaviours that htmx does not give: keys for the header's member search,
// the status line that says what an action did, and "/" to jump to the search from any page.
(function () {
  "use strict";

  function results() {
    return Array.from(document.querySelectorAll("#desk-search-results a.desk-result"));
  }

  function move(from, step) {
    const links = results();
    if (!links.length) return;
    const at = links.indexOf(from);
    const next = at === -1 ? (step > 0 ? 0 : links.length - 1) : at + step;
    if (next < 0) {
      document.getElementById("desk-search").focus();
      return;
    }
    links[Math.min(next, links.length - 1)].focus();
  }

  document.addEventListener("keydown", function (event) {
    const box = document.getElementById("desk-search");
    if (!box) return;
    const inResults = event.target.closest && event.target.closest("#desk-search-results");
    if (event.target === box || inResults) {
      if (event.key === "ArrowDown") { event.preventDefault(); move(inResults ? event.target : null, 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); move(inResults ? event.target : null, -1); }
      else if (event.key === "Escape") { box.value = ""; document.getElementById("desk-search-results").innerHTML = ""; box.focus(); }
      else if (event.key === "Enter" && event.target === box) {
        // Enter in the box opens the first match (the one arrow keys would reach first)
        const first = results()[0];
        event.preventDefault();
        if (first) window.location = first.href;
      }
      return;
    }
    const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName) || event.target.isContentEditable;
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      box.focus();
    }
  });

  document.body.addEventListener("deskMessage", function (event) {
    const status = document.getElementById("desk-status");
    if (!status) return;
    const item = document.createElement("li");
    item.className = event.detail.level === "success" ? "success" : "error";
    item.textContent = event.detail.text;
    status.replaceChildren(item);
  });
})();
