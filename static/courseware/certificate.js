/* The "Your certificate" page: copy or share the verification link. Progressive
 * enhancement: without JavaScript the link can still be selected and copied by hand. */
(function () {
  "use strict";

  const field = document.getElementById("verify-url");
  const status = document.getElementById("copy-status");
  const copy = document.getElementById("copy-link");
  const share = document.getElementById("share-link");
  if (!field) return;
  copy.hidden = false;
  copy.addEventListener("click", async () => {
    try {
      // The Clipboard API exists only on HTTPS or localhost; a closed network may serve plain HTTP.
      await navigator.clipboard.writeText(field.value);
    } catch {
      field.select();
      if (!document.execCommand("copy")) {
        status.textContent = copy.dataset.copyByHand;
        return;
      }
    }
    status.textContent = copy.dataset.copied;
  });
  if (navigator.share) {
    share.hidden = false;
    share.addEventListener("click", () => {
      navigator.share({ title: document.title, url: field.value }).catch(() => {});
    });
  }
})();
