/* The company-name check as the investor types: a short pause after the last key, then one
 * request to the element's data-name-check URL; its answer (free, taken by whom, similar to
 * what) replaces the message under the field, an aria-live region, so a screen reader says it.
 * The "I have checked" box shows when the name is similar to one in use. Without JavaScript
 * the same check runs when the step is saved (portal/apply/views.py). */
(function () {
  "use strict";

  var region = document.querySelector("[data-name-check]");
  var input = region && document.getElementById(region.dataset.nameCheckInput);
  if (!input || !window.fetch) { return; }
  var confirm = document.querySelector("[data-name-check-confirm]");
  var answers = {};  // name -> answer, so typing back and forth asks once
  var timer = null;
  var pending = null;
  var shown = input.value.trim();

  function show(answer) {
    region.textContent = "";
    if (answer.message) {
      var p = document.createElement("p");
      p.className = "name-check-" + answer.state;
      p.textContent = answer.message;
      region.appendChild(p);
    }
    if (confirm) {
      confirm.hidden = answer.state !== "similar";
      var label = confirm.querySelector("label");
      if (label && answer.confirmation) { label.textContent = answer.confirmation; }
    }
  }

  function check() {
    var name = input.value.trim();
    if (name === shown) { return; }
    shown = name;
    if (pending) { pending.abort(); pending = null; }
    if (name.length < 2) { show({ state: "empty", message: "" }); return; }
    if (answers[name]) { show(answers[name]); return; }
    var url = region.dataset.nameCheck;
    url += (url.indexOf("?") === -1 ? "?" : "&") + "name=" + encodeURIComponent(name);
    var controller = window.AbortController ? new AbortController() : null;
    pending = controller;
    fetch(url, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined
    })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (answer) {
        answers[name] = answer;
        if (input.value.trim() === name) { show(answer); }
      })
      .catch(function () {
        // Offline, too many requests, signed out: say nothing; saving checks all the same.
        if (shown === name) { shown = null; }
      });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 400);
  });
  input.addEventListener("change", check);
})();
