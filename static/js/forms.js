/* Forms, a little better with JavaScript; without it they work the same.
 *
 * 1. The error summary (templates/_macros/forms.html) takes the focus when the page loads, so
 *    a screen reader reads it and a keyboard starts from it; its links move the focus to their
 *    field and bring the field's label into view (GOV.UK's pattern).
 * 2. A select with data-narrowed-by="<id of another select>" lists only the options that the
 *    other select's chosen option names in its data-sectors: the company step shows the sectors
 *    the chosen zone admits. The server refuses the others all the same. */
(function () {
  "use strict";

  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var target = link && document.getElementById(decodeURIComponent(link.hash.slice(1)));
      if (!target) { return; }
      event.preventDefault();
      var label = document.querySelector("label[for='" + CSS.escape(target.id) + "']");
      (label || target).scrollIntoView();
      target.focus({ preventScroll: true });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("select[data-narrowed-by]"), function (select) {
    var by = document.getElementById(select.dataset.narrowedBy);
    if (!by) { return; }
    var all = Array.prototype.slice.call(select.options);  // every option, in the server's order

    // On load the chosen option stays, admitted or not, so that the server's refusal next to
    // the field names what is shown; choosing another zone drops it if that zone refuses it.
    function narrow(keepChosen) {
      var chosen = by.options[by.selectedIndex];
      var names = chosen && chosen.dataset.sectors;
      var allowed = names === undefined ? null : names.split(" ").filter(Boolean);
      var selected = select.value;
      var kept = all.filter(function (option) {
        return option.value === "" || allowed === null || allowed.indexOf(option.value) !== -1 ||
          (keepChosen && option.value === selected);
      });
      select.textContent = "";
      kept.forEach(function (option) { select.appendChild(option); });
      var stillThere = kept.some(function (option) { return option.value === selected; });
      select.value = stillThere ? selected : "";
    }

    by.addEventListener("change", function () { narrow(false); });
    narrow(true);
  });
})();
