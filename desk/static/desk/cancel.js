// A cancellation being confirmed (a <details data-cancel> on the roster and the member's profile):
// Escape closes it and gives the focus back to its button. While one is open the page's part does
// not refresh itself (its hx-trigger's filter), so the open box and its reason stay.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !event.target.closest) return;
    const open = event.target.closest("details[data-cancel][open]");
    if (!open) return;
    open.open = false;
    open.querySelector("summary").focus();
  });
})();
