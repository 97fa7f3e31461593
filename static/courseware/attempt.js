/* The quiz attempt page: the countdown of a timed attempt, and autosave's retries when a
 * save fails. The server enforces the deadline and grades once whatever this script
 * does; it only keeps the learner informed and hands the answers in on time. */
(function () {
  "use strict";

  const WARN_AT_SECONDS = [300, 60];

  function formatSeconds(total) {
    const hours = Math.floor(total / 3600);
    const minutes = Math.floor((total % 3600) / 60);
    const seconds = String(total % 60).padStart(2, "0");
    return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
  }

  function handIn(form) {
    const button = form.querySelector("[data-submit-button]");
    // Time is up: unanswered questions are no reason to stop and ask.
    const confirm = document.createElement("input");
    confirm.type = "hidden";
    confirm.name = "confirm";
    confirm.value = "timeout";
    form.append(confirm);
    delete form.dataset.sending;
    form.requestSubmit(button);
  }

  function startCountdown(timer) {
    const deadline = Date.parse(timer.dataset.deadline);
    // Count from the server's clock: the learner's own may be minutes off.
    const serverNow = Date.parse(timer.dataset.now);
    const skew = Number.isNaN(serverNow) ? 0 : Date.now() - serverNow;
    const display = timer.querySelector("[data-time-left]");
    const announce = document.getElementById(timer.dataset.announce);
    const form = document.getElementById(timer.dataset.form);
    const warnings = WARN_AT_SECONDS.slice();
    let interval = null;

    function tick() {
      const left = Math.max(0, Math.round((deadline - (Date.now() - skew)) / 1000));
      display.textContent = formatSeconds(left);
      if (warnings.length && left <= warnings[0] && left > 0 && announce) {
        const minutes = Math.ceil(left / 60);
        // The words come translated from the page (attempt_timer.html).
        announce.textContent =
          minutes === 1
            ? timer.dataset.minutesOne
            : timer.dataset.minutesOther.replace("{minutes}", minutes);
        while (warnings.length && left <= warnings[0]) warnings.shift();
      }
      if (left === 0) {
        window.clearInterval(interval);
        if (announce) announce.textContent = timer.dataset.timeUp;
        if (form) handIn(form);
      }
    }

    interval = window.setInterval(tick, 1000);
    tick();
  }

  // A double click or a second Enter must not post twice; the server would grade once
  // anyway, but the learner would see a confusing second page.
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!form.matches("[data-attempt-form]")) return;
    if (form.dataset.sending) {
      event.preventDefault();
      return;
    }
    form.dataset.sending = "true";
  });
  // Coming back with the browser's Back button restores the page as it was left.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("[data-attempt-form]").forEach(function (form) {
      delete form.dataset.sending;
    });
  });

  // A failed autosave (server busy or down, a proxy's error, the network gone) is sent
  // again, later each time, until one gets through; the answer stays in its field and the
  // question's status line says what is going on. The failed response itself is never
  // shown: htmx_head.html tells htmx not to swap error responses.
  const RETRY_AFTER_SECONDS = [2, 5, 10, 20, 30];
  const retries = new Map(); // status line → {count, timer}

  function autosaved(event) {
    const status = event.detail && event.detail.target;
    if (!status || !status.matches("[aria-live]")) return null;
    const question = status.closest("fieldset[hx-post]");
    return question ? { status, question } : null;
  }

  function retryLater(event) {
    const save = autosaved(event);
    if (!save) return;
    const retry = retries.get(save.status) || { count: 0, timer: null };
    window.clearTimeout(retry.timer);
    const seconds = RETRY_AFTER_SECONDS[Math.min(retry.count, RETRY_AFTER_SECONDS.length - 1)];
    retry.count += 1;
    // The question's own save (hx-trigger="change"): it posts every field of the question
    // as it is now, so a retry never sends an older answer than the one on the page.
    retry.timer = window.setTimeout(() => htmx.trigger(save.question, "change"), seconds * 1000);
    retries.set(save.status, retry);
    // Unchanged text is not announced again by screen readers at every retry. The words
    // come translated from the page (attempt_detail.html).
    const notSaved = save.question.closest("[data-not-saved]").dataset.notSaved;
    if (save.status.textContent !== notSaved) save.status.textContent = notSaved;
  }

  function savedAgain(event) {
    const save = autosaved(event);
    if (!save || !event.detail.successful || !retries.has(save.status)) return;
    window.clearTimeout(retries.get(save.status).timer);
    retries.delete(save.status);
  }

  document.addEventListener("htmx:sendError", retryLater);
  document.addEventListener("htmx:responseError", retryLater);
  document.addEventListener("htmx:afterRequest", savedAgain);

  document.querySelectorAll("[role=timer][data-deadline]").forEach(startCountdown);
})();
