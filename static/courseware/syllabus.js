// The course page's syllabus: on a phone each module's lessons fold, but for the module
// holding the learner's next step (the page says which); on a screen wide enough when the
// page loads they all open. Without JavaScript the folds stay as the page drew them.
document.addEventListener("DOMContentLoaded", () => {
  if (!window.matchMedia("(min-width: 992px)").matches) return;
  for (const fold of document.querySelectorAll("details.syllabus-lessons")) fold.open = true;
});
