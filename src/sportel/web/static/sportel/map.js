// Leaflet maps, as progressive enhancement: every page that has a map also works without it.
//
//   <div data-map data-lat="42.07" data-lon="19.51" data-zoom="13"
//        data-tiles="{tile url}" data-attribution="..."
//        data-picker-lat="id_latitude" data-picker-lon="id_longitude"
//        data-points="id_points_json" data-label="Map of ...">
//
// data-picker-*: a click (or a drag of the pin) writes the place into those two inputs, and
//   typing into them moves the pin; the inputs stay the way to enter a place without the map.
// data-points: the id of a <script type="application/json"> holding
//   [{"lat": .., "lon": .., "title": "..", "url": ".."}, ...] drawn as markers with links.
// With no tile URL the map is a plain grid: pins and points still show and still work.
/* global L */
function number(value) {
  const parsed = Number.parseFloat(value);
  return Number.isFinite(parsed) ? parsed : null;
}

function start(element) {
  const lat = number(element.dataset.lat) ?? 41.33;
  const lon = number(element.dataset.lon) ?? 19.82;
  const map = L.map(element, { keyboard: true }).setView([lat, lon], Number(element.dataset.zoom || 13));
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, {
      maxZoom: 19,
      attribution: element.dataset.attribution || "",
    }).addTo(map);
  }
  L.Icon.Default.imagePath = element.dataset.images || "/static/vendor/leaflet/images/";
  if (element.dataset.label) {
    element.setAttribute("role", "region");
    element.setAttribute("aria-label", element.dataset.label);
  }

  const pointsId = element.dataset.points;
  if (pointsId) {
    const source = document.getElementById(pointsId);
    const points = source ? JSON.parse(source.textContent) : [];
    const bounds = [];
    for (const point of points) {
      const marker = L.marker([point.lat, point.lon], { title: point.title || "" }).addTo(map);
      if (point.url) {
        const link = document.createElement("a");
        link.href = point.url;
        link.textContent = point.title || point.url;
        marker.bindPopup(link);
      }
      bounds.push([point.lat, point.lon]);
    }
    if (bounds.length > 1) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 16 });
  }

  const latInput = document.getElementById(element.dataset.pickerLat || "");
  const lonInput = document.getElementById(element.dataset.pickerLon || "");
  if (latInput && lonInput) {
    let pin = null;
    const place = (latlng, write) => {
      if (pin) pin.setLatLng(latlng);
      else {
        pin = L.marker(latlng, { draggable: true }).addTo(map);
        pin.on("dragend", () => place(pin.getLatLng(), true));
      }
      if (write) {
        latInput.value = latlng.lat.toFixed(6);
        lonInput.value = latlng.lng.toFixed(6);
        latInput.dispatchEvent(new Event("change", { bubbles: true }));
      }
    };
    const fromInputs = () => {
      const typedLat = number(latInput.value);
      const typedLon = number(lonInput.value);
      if (typedLat !== null && typedLon !== null) {
        place(L.latLng(typedLat, typedLon), false);
        map.panTo([typedLat, typedLon]);
      }
    };
    map.on("click", (event) => place(event.latlng, true));
    latInput.addEventListener("input", fromInputs);
    lonInput.addEventListener("input", fromInputs);
    fromInputs();
  }
}

for (const element of document.querySelectorAll("[data-map]")) start(element);
