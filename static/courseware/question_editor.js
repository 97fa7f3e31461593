// The question editor (admin): choosing another kind shows that kind's answers at once, by
// pressing the button that does it without JavaScript. Nothing is saved by it.
document.addEventListener("DOMContentLoaded", () => {
  const kind = document.getElementById("id_kind");
  const show = document.querySelector('button[name="_kind_switch"]');
  if (kind && show) {
    kind.addEventListener("change", () => show.click());
  }
});
