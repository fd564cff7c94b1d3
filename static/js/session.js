/* The warning before a session ends (its idle timeout or its lifetime: portal/sessions.py).
 *
 * <body data-session-*> says how many seconds the session has left, as the server counted them.
 * A few minutes before the end, the dialog in templates/base.html appears with "Stay signed in".
 * On an application step, a form changed since it was loaded is saved as a draft shortly before
 * the end (that save is not activity: the session still ends). At the end the page goes to the
 * sign-in page, unless that would lose what was typed: then the dialog says so and the page stays.
 * Before acting, the script asks the server again: another tab may have used the session.
 * Without JavaScript nothing of this happens, and the session ends all the same. */
(function () {
  "use strict";
  var body = document.body;
  var dialog = document.getElementById("session-warning");
  if (!dialog || !window.fetch || !body.dataset.sessionStatusUrl) { return; }

  var WARNING = Number(body.dataset.sessionWarning) * 1000;
  var AUTOSAVE_BEFORE = 60 * 1000;  // a hidden tab may run its timers only once a minute
  var AUTOSAVE_EVERY = 10 * 1000;   // while someone keeps typing in that last minute
  var ASK_EVERY = 15 * 1000;        // how often the server is asked, once the end is near
  var GRACE = 2000;                 // the page leaves this long after the end
  var statusUrl = body.dataset.sessionStatusUrl;
  var keepalive = dialog.querySelector("form");
  var stayButton = keepalive.querySelector("button");
  var signIn = dialog.querySelector("a");

  var forms = Array.prototype.filter.call(document.querySelectorAll("main form"), function (form) {
    return form.method === "post";
  });
  var draftForm = forms.filter(function (form) {
    return form.querySelector('button[name="action"][value="save"]');
  })[0] || null;
  var saved = forms.map(snapshot);  // what each form held when loaded or last saved

  var idleEnd, lifetimeEnd, askedAt;
  var shown = null;        // the dialog's state ("idle", "lifetime", "ended"), or null when hidden
  var dismissedFor = null; // the end the person closed the dialog for (Escape)
  var busy = false;
  var lastAutosave = 0;
  var returnFocus = null;

  function setEnds(idleIn, lifetimeIn) {
    var now = Date.now();
    idleEnd = now + idleIn * 1000;
    lifetimeEnd = now + lifetimeIn * 1000;
    askedAt = now;
  }

  function end() { return Math.min(idleEnd, lifetimeEnd); }

  function snapshot(form) {
    var parts = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token") {
        parts.push(name + "=" + (typeof value === "string" ? value : value.name));
      }
    });
    return JSON.stringify(parts);
  }

  // Not form.action: a step's buttons are named "action", and that name hides the property.
  function actionOf(form) {
    return new URL(form.getAttribute("action") || "", window.location.href).href;
  }

  function unsaved() {
    return forms.some(function (form, i) { return snapshot(form) !== saved[i]; });
  }

  function show(state) {
    if (shown === state) { return; }
    Array.prototype.forEach.call(dialog.querySelectorAll("[data-session-show]"), function (el) {
      var when = el.dataset.sessionShow.split(" ");
      var draftNote = when.indexOf("draft") >= 0 && draftForm && state !== "ended";
      el.hidden = !(when.indexOf(state) >= 0 || draftNote);
    });
    if (shown === null) { returnFocus = document.activeElement; }
    shown = state;
    dialog.hidden = false;
    (state === "idle" ? stayButton : state === "ended" ? signIn : dialog).focus();
  }

  function hide() {
    if (shown === null) { return; }
    var hadFocus = dialog.contains(document.activeElement);
    dialog.hidden = true;
    shown = null;
    if (hadFocus && returnFocus && document.contains(returnFocus)) { returnFocus.focus(); }
  }

  // true while signed in (the ends are updated), false once the session is over.
  function ask() {
    return fetch(statusUrl, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      if (r.status === 401) { return false; }
      if (!r.ok) { throw new Error("session status " + r.status); }
      return r.json().then(function (data) {
        setEnds(data.idle_ends_in, data.lifetime_ends_in);
        return true;
      });
    });
  }

  function ended() {
    if (unsaved()) {
      show("ended");  // leaving would lose the typing: say so, and stay
    } else {
      window.location.assign(signIn.href);
    }
  }

  function autosave() {
    var data = new FormData(draftForm);
    var sending = snapshot(draftForm);
    data.set("action", "save");
    busy = true;
    lastAutosave = Date.now();
    fetch(actionOf(draftForm), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Autosave": "1" },
      redirect: "manual",  // the "Draft saved" message then waits for the sign-in page
    }).then(function (r) {
      busy = false;
      if (r.type === "opaqueredirect" || r.ok || r.status === 422) {
        saved[forms.indexOf(draftForm)] = sending;
      }
    }, function () { busy = false; });
  }

  function act() {
    var left = end() - Date.now();
    if (left > WARNING) {
      hide();
      return;
    }
    if (left <= -GRACE) {
      ended();
      return;
    }
    if (dismissedFor === null || Math.abs(dismissedFor - end()) > 5000) {
      show(idleEnd <= lifetimeEnd ? "idle" : "lifetime");
    }
    if (draftForm && left > 0 && left <= AUTOSAVE_BEFORE &&
        Date.now() - lastAutosave >= AUTOSAVE_EVERY &&
        snapshot(draftForm) !== saved[forms.indexOf(draftForm)]) {
      autosave();
    }
  }

  function askThenAct() {
    busy = true;
    ask().then(function (signedIn) {
      busy = false;
      if (signedIn) { act(); } else { ended(); }
    }, function () { busy = false; });
  }

  function tick() {
    if (busy || shown === "ended") { return; }
    var now = Date.now();
    var left = end() - now;
    var askedBeforeTheEnd = askedAt < end() + GRACE;
    if (left <= WARNING && (now - askedAt >= ASK_EVERY || (left <= -GRACE && askedBeforeTheEnd))) {
      askThenAct();
    } else {
      act();
    }
  }

  keepalive.addEventListener("submit", function (event) {
    event.preventDefault();
    busy = true;
    fetch(actionOf(keepalive), {
      method: "POST",
      body: new FormData(keepalive),
      credentials: "same-origin",
    }).then(function (r) {
      if (r.status === 401) {
        busy = false;
        ended();
        return;
      }
      askThenAct();
    }, function () { busy = false; });
  });

  dialog.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && shown !== "ended") {
      dismissedFor = end();
      hide();
    }
  });

  setEnds(Number(body.dataset.sessionIdleEndsIn), Number(body.dataset.sessionLifetimeEndsIn));
  // Once inside the warning, ask the server at the first tick: the page may be old.
  askedAt = Date.now() - ASK_EVERY;
  document.addEventListener("visibilitychange", tick);
  window.setInterval(tick, 1000);
  tick();
})();
