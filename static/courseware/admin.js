// Courseware's corrections to markup the Django admin draws in the browser.
// The filter of a two-list selector (filter_horizontal) carries its explanation as an
// aria-label on a bare <span>, which no role allows: it is an icon, so it is named as one.
// SelectFilter draws it on the window's load, before this listener (added later) runs.
window.addEventListener("load", () => {
  for (const icon of document.querySelectorAll(".search-label-icon[aria-label]")) {
    icon.setAttribute("role", "img");
  }
});
