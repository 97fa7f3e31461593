// Courseware's corrections to markup the Django admin draws in the browser.
// The filter of a two-list selector (filter_horizontal) carries its explanation as an
// aria-label on a bare <span>, which no role allows: it is an icon, so it is named as one.
// SelectFilter draws it on the window's load, before this listener (added later) runs.
window.addEventListener("load", () => {
  for (const icon of document.querySelectorAll(".search-label-icon[aria-label]")) {
    icon.setAttribute("role", "img");
  }
});

// A table of inline rows wider than the screen scrolls in its own box (admin.css); a box
// with nothing to focus in it (a new quiz's questions: only the hidden row to copy) is reached from the keyboard
// itself, named after its heading.
document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll(".inline-group .tabular")) {
    const focusable = box.querySelectorAll("input, select, textarea, a[href], button");
    if ([...focusable].some((element) => element.getClientRects().length > 0)) continue;
    box.tabIndex = 0;
    box.setAttribute("role", "region");
    const heading = box.querySelector("h2");
    if (heading && heading.id) box.setAttribute("aria-labelledby", heading.id);
  }
});
