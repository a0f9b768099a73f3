// The request form: a minimum-level select only beside a ticked expertise area.
// Without this script every level select stays visible and usable beside its checkbox;
// the server ignores the level of an area that is not ticked.
(function () {
  "use strict";
  var boxes = document.querySelectorAll('input[type="checkbox"][name="area"]');
  Array.prototype.forEach.call(boxes, function (box) {
    var level = document.getElementById("level_" + box.value);
    if (!level) {
      return;
    }
    var sync = function () {
      level.hidden = !box.checked;
    };
    box.addEventListener("change", sync);
    sync();
  });
}());
