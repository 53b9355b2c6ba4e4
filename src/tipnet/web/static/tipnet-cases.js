/* tipnet case form: nothing typed is lost.
 *
 * - Autosave: 2 s after the last change, and at once when the focus leaves a section or the page is hidden, the
 *   form is saved to the server as a draft (POST /cases.json, then /cases/<id>.json: the first save creates the
 *   draft and the form then edits that one). A status line says when it was last saved.
 * - "Save draft" and "Submit" save first in the same way; "Submit" then posts the form as before.
 * - When the session has ended (a save answered 401, or the session timer ran out), the form stays as it is and a
 *   dialog asks for the password and the one-time code; it signs in through the ordinary sign-in endpoints
 *   (/login.json, /login/totp.json), takes the new session's CSRF token, and finishes the save.
 * Without JavaScript the form posts as it always did.
 */
(function () {
  "use strict";

  var form = document.getElementById("case-form");
  if (!form) return;
  var problems = document.getElementById("problems");
  if (problems) problems.focus();  // after a refused submit, the list of problems is read first

  var text = JSON.parse(document.getElementById("cases-i18n").textContent);
  var status = document.getElementById("autosave-status");
  var dialog = document.getElementById("signin-dialog");
  var signin = document.getElementById("signin-form");
  var signinError = document.getElementById("signin-error");
  var DELAY = 2000;
  var timer = null, inFlight = null, dirty = false, again = false, leaving = false, pending = null;
  var section = null;

  function csrf() { return form.querySelector("input[name=csrf_token]").value; }

  function setCsrf(token) {
    document.querySelectorAll("input[name=csrf_token]").forEach(function (i) { i.value = token; });
    var meta = document.querySelector("meta[name=csrf-token]");
    if (meta) meta.setAttribute("content", token);
  }

  function clock(iso) {
    var when = iso ? new Date(iso) : new Date();
    return when.toLocaleTimeString(document.documentElement.lang || undefined, { hour: "2-digit", minute: "2-digit" });
  }

  function say(message, state) {
    status.textContent = message;
    status.dataset.state = state;
  }

  function answer(r) {
    return r.json().catch(function () { return {}; }).then(function (data) { return { status: r.status, data: data }; });
  }

  function post(url, fields, token) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": token },
      body: fields
    }).then(answer);
  }

  function sessionGone(res) {
    var details = res.data && res.data.error && res.data.error.details;
    return res.status === 401 || (res.status === 403 && details && details.csrf === true);
  }

  function stored(c, more) {
    var path = "/cases/" + c.id;
    if (form.getAttribute("action") !== path) {
      form.setAttribute("action", path);
      if (location.pathname !== path) history.replaceState(null, "", path);
    }
    var version = form.querySelector("input[name=version]");
    if (!version) {
      version = document.createElement("input");
      version.type = "hidden";
      version.name = "version";
      form.appendChild(version);
    }
    version.value = String(c.version);
    form.dataset.caseId = c.id;
    // changes made while this save was on its way are not saved yet: never say "saved" over them
    if (!more) say(text.saved.replace("{time}", clock(c.updated_at)), "saved");
    document.dispatchEvent(new CustomEvent("tipnet:server-contact"));
  }

  /* Save the form as a draft; resolves true when the server has it. One save at a time: changes made meanwhile
   * are saved right after. */
  function save() {
    if (inFlight) { again = true; return inFlight; }
    clearTimeout(timer);
    timer = null;
    dirty = false;
    say(text.saving, "saving");
    var fields = new URLSearchParams(new FormData(form));
    fields.set("action", "save");
    inFlight = post(form.getAttribute("action") + ".json", fields, csrf()).then(function (res) {
      inFlight = null;
      if (res.status === 200 || res.status === 201) {
        stored(res.data.case, again || dirty);
        if (again || dirty) { again = false; return save(); }
        return true;
      }
      dirty = true;
      again = false;
      if (sessionGone(res)) { ended(); return false; }
      var message = (res.data && res.data.error && res.data.error.message) || String(res.status);
      say(text.failed.replace("{message}", message), "error");
      return false;
    }, function () {
      inFlight = null;
      dirty = true;
      again = false;
      say(text.offline, "error");
      return false;
    });
    return inFlight;
  }

  function changed() {
    dirty = true;
    if (dialog.open) return;
    say(text.unsaved, "unsaved");
    clearTimeout(timer);
    timer = setTimeout(save, DELAY);
  }

  function finish(action) {
    leaving = true;
    if (action === "submit") {
      form.dataset.bypass = "1";
      form.requestSubmit(document.getElementById("submit-case"));
    } else {
      location.assign(form.getAttribute("action") + "?done=saved");
    }
  }

  function ended() {
    clearTimeout(timer);
    say(text.ended, "error");
    if (!dialog.open) {
      signinError.textContent = "";
      dialog.showModal();
      document.getElementById("signin-password").focus();
    }
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("focusin", function (e) {
    var now = e.target.closest("fieldset.section");
    if (section && now !== section && dirty) save();  // a section is done: save it now
    section = now;
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && dirty) save();
  });
  window.addEventListener("beforeunload", function (e) {
    if (!leaving && (dirty || inFlight)) { e.preventDefault(); e.returnValue = ""; }
  });

  form.addEventListener("submit", function (e) {
    var action = e.submitter ? e.submitter.value : "save";
    if (action === "discard" || form.dataset.bypass) { leaving = true; return; }
    e.preventDefault();
    pending = action;
    save().then(function (ok) {
      if (ok && pending) { var then = pending; pending = null; finish(then); }
    });
  });

  document.addEventListener("tipnet:session-ended", function (e) {
    e.preventDefault();  // handled here: the dialog keeps the form and signs in again
    ended();
  });

  // Sign in again through the ordinary endpoints, then finish what was being saved.
  signin.addEventListener("submit", function (e) {
    e.preventDefault();
    signinError.textContent = "";
    var button = document.getElementById("signin-submit");
    button.disabled = true;
    var email = document.getElementById("signin-email").value;
    var password = document.getElementById("signin-password").value;
    var code = document.getElementById("signin-code").value.trim();
    fetch("/login.json", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(answer)
      .then(function (res) {
        var token = res.data.csrf_token;
        return post("/login.json", new URLSearchParams({ email: email, password: password, csrf_token: token }), token);
      })
      .then(function (res) {
        if (res.status !== 200) throw res;
        if (res.data.stage === "totp") {
          return post("/login/totp.json", new URLSearchParams({ code: code }), res.data.csrf_token);
        }
        return res;
      })
      .then(function (res) {
        if (res.status !== 200) throw res;
        if (res.data.stage !== "full") throw { message: text.signin_elsewhere };
        setCsrf(res.data.csrf_token);
        document.getElementById("signin-password").value = "";
        document.getElementById("signin-code").value = "";
        dialog.close();
        document.dispatchEvent(new CustomEvent("tipnet:signed-in"));
        return save().then(function (ok) {
          if (ok && pending) { var then = pending; pending = null; finish(then); }
        });
      })
      .catch(function (res) {
        var message = res && res.message ? res.message
          : (res && res.data && res.data.error && res.data.error.status === 429 ? res.data.error.message : text.signin_failed);
        signinError.textContent = message;
      })
      .then(function () { button.disabled = false; });
  });
})();
