// The assessment run's page: while the run goes on, fetch the page again every two seconds and
// replace the progress block (an aria-live region), until the run is no longer going.
const block = document.getElementById("run-live");
async function poll() {
  if (!block || block.dataset.going !== "true") return;
  try {
    const response = await fetch(window.location.href, { headers: { "X-Requested-With": "fetch" } });
    if (response.ok) {
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = doc.getElementById("run-live");
      if (fresh) {
        block.innerHTML = fresh.innerHTML;
        block.dataset.going = fresh.dataset.going;
      }
    }
  } catch (error) {
    // offline for a moment: try again at the next tick
  }
  setTimeout(poll, 2000);
}
setTimeout(poll, 2000);
