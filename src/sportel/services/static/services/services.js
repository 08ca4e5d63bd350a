// Print buttons on receipts: shown only when JavaScript can print (a file: the CSP forbids
// inline scripts). Without JavaScript the browser's own print command does the same.
for (const button of document.querySelectorAll("[data-sportel-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
