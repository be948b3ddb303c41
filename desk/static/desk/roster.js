// The roster's "add a member" box: Up and Down move between the box and the members it found, as
// in the header's search (Enter or Space on a member then books them, or puts them on the waitlist).
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if ((event.key !== "ArrowDown" && event.key !== "ArrowUp") || !event.target.closest) return;
    const box = document.getElementById("roster-q");
    if (!box || (event.target !== box && !event.target.closest("#roster-add-results"))) return;
    const members = Array.from(document.querySelectorAll("#roster-add-results button.roster-candidate"));
    if (!members.length) return;
    event.preventDefault();
    const next = members.indexOf(event.target) + (event.key === "ArrowDown" ? 1 : -1);  // from the box: -1
    if (next < 0) box.focus();
    else members[Math.min(next, members.length - 1)].focus();
  });
})();
