// Print buttons: shown only when JavaScript can print (no inline scripts under the CSP).
for (const button of document.querySelectorAll("[data-floor-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
