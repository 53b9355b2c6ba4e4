/* A table that scrolls sideways inside its own box (layout.css, narrow screens) is a stop for the Tab key when
   nothing inside it can take the focus, so a keyboard can scroll it too (WCAG 2.1.1). Checked again when the window
   changes size: a box that no longer scrolls leaves the tab order. The page works without this script; it only adds
   the tab stop. */
(function () {
  "use strict";
  var FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]";
  function mark() {
    document.querySelectorAll("main table, main .scroll").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1 && getComputedStyle(box).overflowX !== "visible";
      var added = box.dataset.scrollStop === "1";
      if (scrolls && !added && !box.querySelector(FOCUSABLE) && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.dataset.scrollStop = "1";
      } else if (!scrolls && added) {
        box.removeAttribute("tabindex");
        delete box.dataset.scrollStop;
      }
    });
  }
  var timer = null;
  window.addEventListener("resize", function () { clearTimeout(timer); timer = setTimeout(mark, 150); });
  mark();
})();
