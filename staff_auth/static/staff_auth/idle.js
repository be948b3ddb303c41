// The idle clock of a staff session on a shared desk computer (staff_auth/sessions.py): a warning
// with a countdown before the session ends for lack of activity, and the sign-in form when it
// has ended, so that no member's details stay on an unattended screen.
//
// The server decides: each htmx request says how long the user has been idle (X-Idle-Seconds), so
// panels that refresh themselves do not count as activity; typing, clicking or scrolling is
// reported (at most every 30 seconds); each answer carries the seconds left, which other tabs'
// activity may have lengthened.
(function () {
  "use strict";
  const script = document.currentScript;
  const clockUrl = script.dataset.clockUrl;
  const signInUrl = script.dataset.signInUrl;
  const warnSeconds = Number(script.dataset.warnSeconds);
  let deadline = Date.now() + Number(script.dataset.secondsLeft) * 1000;
  let lastInput = Date.now();
  let lastReport = Date.now();  // the page itself was a request, and activity
  let asking = false;
  let banner = null;

  function idleSeconds() {
    return Math.max(0, Math.floor((Date.now() - lastInput) / 1000));
  }

  function heard(secondsLeft) {
    if (typeof secondsLeft === "number" && isFinite(secondsLeft)) deadline = Date.now() + secondsLeft * 1000;
    tick();
  }

  function ended() {
    const here = window.location.pathname + window.location.search;
    window.location.replace(signInUrl + "?next=" + encodeURIComponent(here));
  }

  // Tells the server of activity (idle 0) or asks whether the session still holds.
  function ask(idle) {
    if (asking) return;
    asking = true;
    lastReport = Date.now();
    fetch(clockUrl, { headers: { "X-Idle-Seconds": String(idle), "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 401) { ended(); return null; }
        return response.ok ? response.json() : null;
      })
      .then(function (answer) { if (answer && answer.signed_in) heard(answer.seconds_left); })
      .catch(function () {})  // offline for a moment: the next tick asks again
      .finally(function () { asking = false; });
  }

  function input() {
    lastInput = Date.now();
    if (Date.now() - lastReport > 30000 || banner) ask(0);
  }

  function showBanner(left) {
    if (!banner) {
      banner = document.createElement("div");
      banner.id = "idle-warning";
      banner.setAttribute("role", "alertdialog");
      banner.setAttribute("aria-live", "assertive");
      banner.innerHTML = '<p></p><button type="button">Stay signed in</button>';
      banner.querySelector("button").addEventListener("click", function () { lastInput = Date.now(); ask(0); });
      document.body.appendChild(banner);
    }
    const minutes = Math.floor(left / 60), seconds = left % 60;
    banner.querySelector("p").textContent = "No activity at this computer: you will be signed out in " +
      minutes + ":" + String(seconds).padStart(2, "0") + ", and the next person signs in.";
  }

  function tick() {
    const left = Math.ceil((deadline - Date.now()) / 1000);
    if (left <= 0) {
      ask(idleSeconds());  // the server says whether another tab kept the session going
    } else if (left <= warnSeconds) {
      showBanner(left);
    } else if (banner) {
      banner.remove();
      banner = null;
    }
  }

  ["keydown", "pointerdown", "wheel", "touchstart"].forEach(function (name) {
    document.addEventListener(name, input, { passive: true, capture: true });
  });
  document.body.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-Idle-Seconds"] = String(idleSeconds());
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    const xhr = event.detail.xhr;
    const left = xhr && xhr.getResponseHeader("X-Session-Seconds-Left");
    if (left !== null && left !== undefined && left !== "") heard(Number(left));
  });
  setInterval(tick, 1000);
  tick();
})();
