/* tipnet session timer: warn before an idle session ends, with a button to stay signed in.
 *
 * The page knows the idle limit and how stale the server's last-seen time may be ("slack"): the session lasts at
 * least idle - slack seconds after the page's last request. `warn` seconds before that, a notice offers to stay
 * signed in (POST /session/stay.json restarts the idle timer and answers the seconds left). When the time is up the
 * page says so, or - when another script handles it (the case form's sign-in dialog) - lets that script take over:
 *   tipnet:session-ended (cancelable)  sent when the time is up; preventDefault() means "handled here"
 *   tipnet:server-contact              send it after a request succeeded: the session was seen, the timer restarts
 *   tipnet:signed-in                   send it after signing in again in the page
 */
(function () {
  "use strict";

  var box = document.getElementById("session-warning");
  if (!box) return;
  var ended = document.getElementById("session-ended");
  var stay = document.getElementById("stay-signed-in");
  var text = document.getElementById("session-warning-text");
  var idle = Number(box.dataset.idle), warn = Number(box.dataset.warn), slack = Number(box.dataset.slack);
  var warnTimer = null, endTimer = null;

  function csrf() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.getAttribute("content") : "";
  }

  function clock(ms) {
    return new Date(ms).toLocaleTimeString(document.documentElement.lang || undefined, { hour: "2-digit", minute: "2-digit" });
  }

  function schedule(seconds) {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    box.hidden = true;
    var end = Date.now() + seconds * 1000;
    box.dataset.deadline = String(end);
    warnTimer = setTimeout(function () { show(end); }, Math.max(0, seconds - warn) * 1000);
    endTimer = setTimeout(over, Math.max(0, seconds) * 1000);
  }

  function show(end) {
    text.textContent = box.dataset.text.replace("{time}", clock(end));
    box.hidden = false;
  }

  function over() {
    box.hidden = true;
    var event = new CustomEvent("tipnet:session-ended", { cancelable: true });
    if (document.dispatchEvent(event)) ended.hidden = false;
  }

  stay.addEventListener("click", function () {
    stay.disabled = true;
    fetch("/session/stay.json", {
      method: "POST", credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf() }
    }).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    }).then(function (d) {
      schedule(Number(d.remaining));
    }).catch(function () {
      over();  // the session had ended already
    }).then(function () { stay.disabled = false; });
  });

  document.addEventListener("tipnet:server-contact", function () { schedule(idle - slack); });
  document.addEventListener("tipnet:signed-in", function () {
    ended.hidden = true;
    schedule(idle - slack);
  });
  schedule(idle - slack);
})();
