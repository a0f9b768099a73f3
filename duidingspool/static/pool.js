// Moves the focus to a form's error summary when the page loads (NL Design System guideline),
// so a screen reader reads it at once and a keyboard user starts from its links.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
});
