/* Behaviour of every page, kept out of the markup so the Content-Security-Policy can refuse inline script:
   - a <select data-autosubmit> submits its form when changed (the language picker);
   - an element with data-focus takes the focus once the page is read (a form's list of problems);
   - a .map[data-spec] is drawn by TipnetMap (tipnet-map.js, loaded by the pages that show maps). */
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  var focus = document.querySelector("[data-focus]");
  if (focus) focus.focus();
  if (window.TipnetMap) {
    document.querySelectorAll(".map[data-spec]").forEach(function (el) {
      window.TipnetMap.render(el, JSON.parse(el.dataset.spec));
    });
  }
})();
