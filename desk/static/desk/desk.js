// The front desk's few behaviours that htmx does not give: keys for the header's member search,
// the status line that says what an action did, and "/" to jump to the search from any page.
(function () {
  "use strict";

  // The links the arrow keys move through: the matches, or the offer to register a walk-in.
  function links() {
    return Array.from(document.querySelectorAll("#desk-search-results a.desk-result, #desk-search-results a.desk-walk-in"));
  }

  function firstMatch() {
    return document.querySelector("#desk-search-results a.desk-result");
  }

  // What the server's search takes of the box (members.selectors.search_text).
  function typed(box) {
    return box.value.replace(/\u0000/g, "").trim().slice(0, 100);
  }

  // Enter opens the first match of what is in the box now: the results shown may be of fewer
  // letters (typed fast, or a card reader's number and Enter), so then it asks for them first.
  function openFirstMatch(box) {
    const shown = document.querySelector("#desk-search-results [data-query]");
    if (shown && shown.dataset.query === typed(box)) {
      const first = firstMatch();
      if (first) window.location = first.href;
      return;
    }
    htmx.ajax("GET", box.getAttribute("hx-get"), { target: "#desk-search-results", values: { q: typed(box) } })
      .then(function () {
        const first = firstMatch();
        if (first) window.location = first.href;
      });
  }

  function move(from, step) {
    const all = links();
    if (!all.length) return;
    const at = all.indexOf(from);
    const next = at === -1 ? (step > 0 ? 0 : all.length - 1) : at + step;
    if (next < 0) {
      document.getElementById("desk-search").focus();
      return;
    }
    all[Math.min(next, all.length - 1)].focus();
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
        event.preventDefault();
        openFirstMatch(box);
      }
      return;
    }
    const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName) || event.target.isContentEditable;
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      box.focus();
    }
  });

  // What an action did, in the status toast: a success fades after a few seconds, a refusal
  // stays until clicked (it has to be read).
  let fading = null;
  document.body.addEventListener("deskMessage", function (event) {
    const status = document.getElementById("desk-status");
    if (!status) return;
    const item = document.createElement("li");
    const success = event.detail.level === "success";
    item.className = success ? "success" : "error";
    item.textContent = event.detail.text;
    const undo = event.detail.undo;
    if (undo) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button desk-undo";
      button.textContent = "Undo";
      button.addEventListener("click", function () {
        const token = document.querySelector("input[name=csrfmiddlewaretoken]");
        htmx.ajax("POST", undo.url, {
          values: { kind: undo.kind, booking: undo.booking, csrfmiddlewaretoken: token ? token.value : "" },
          swap: "none",
        });
      });
      item.append(" ", button);
    }
    status.replaceChildren(item);
    clearTimeout(fading);
    if (success) fading = setTimeout(function () { status.replaceChildren(); }, undo ? 15000 : 8000);
  });
  document.addEventListener("click", function (event) {
    const inStatus = event.target.closest && event.target.closest("#desk-status");
    if (inStatus && !event.target.closest(".desk-undo")) inStatus.replaceChildren();
  });
})();
