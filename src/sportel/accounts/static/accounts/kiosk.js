// Kiosk idle logout, the client half: after the idle time with nobody touching the screen,
// post the "finish" form, which logs out and returns to the start screen. The server expires
// the session after the same idle time on its own, so without JavaScript nothing is kept longer.
const form = document.querySelector("form[data-sportel-kiosk-idle]");
// Nothing to clear on the start screen with nobody logged in: do not reload it for nothing.
const atRest =
  form && !("signedIn" in form.dataset) && window.location.pathname === form.dataset.start &&
  !window.location.search;
if (form && !atRest) {
  const seconds = Number.parseInt(form.dataset.sportelKioskIdle, 10);
  if (seconds > 0) {
    let timer;
    const restart = () => {
      clearTimeout(timer);
      timer = setTimeout(() => form.submit(), seconds * 1000);
    };
    for (const name of ["pointerdown", "keydown", "input", "wheel", "touchstart", "scroll"]) {
      window.addEventListener(name, restart, { passive: true, capture: true });
    }
    restart();
  }
}
