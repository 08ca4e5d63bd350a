// The kiosk as a managed device: after the configured idle time with nobody touching the screen
// (or the keyboard), go back to the start screen; location.replace leaves nothing of the last
// person to go "back" to, and the pages are never cached (Cache-Control: no-store).
const body = document.body;
const seconds = Number.parseInt(body.dataset.floorIdle || "0", 10);
const start = body.dataset.floorStart;
const here = window.location.pathname + window.location.search;
if (seconds > 0 && start && here !== start) {
  let timer;
  const restart = () => {
    clearTimeout(timer);
    timer = setTimeout(() => window.location.replace(start), seconds * 1000);
  };
  for (const name of ["pointerdown", "keydown", "input", "wheel", "touchstart", "scroll"]) {
    window.addEventListener(name, restart, { passive: true, capture: true });
  }
  restart();
}
// A new ticket prints itself once; "print again" stays for a jammed printer.
for (const button of document.querySelectorAll("[data-floor-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
if (document.querySelector(".floor-slip") && !sessionStorage.getItem(`printed:${here}`)) {
  sessionStorage.setItem(`printed:${here}`, "1");
  window.addEventListener("load", () => window.print());
}
// A payment is asked for once: the button is disabled after the first tap (the server also
// answers a repeated checkout with the first attempt, so a double tap never charges twice).
for (const form of document.querySelectorAll("form[data-floor-pay]")) {
  form.addEventListener("submit", () => {
    const button = form.querySelector("button[type=submit]");
    setTimeout(() => {
      button.disabled = true;
      if (button.dataset.busy) button.textContent = button.dataset.busy;
    }, 0);
  });
}
