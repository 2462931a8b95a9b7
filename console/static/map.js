// The console's maps. `SoSoftMap.base(element)` is the part every map shares (the
// dashboard's too: dashboard.js loads after this file): tiles only when a tile URL
// is set, otherwise the service area drawn on a plain background. Then the
// ticket's map: its pin, and a click to place or move it (filling the typed
// coordinates, which the "place" form sends).
(function () {
  "use strict";
  if (!window.L) { return; }

  function base(element) {
    var bbox = element.getAttribute("data-bbox").split(",").map(Number);
    var area = L.latLngBounds([bbox[1], bbox[0]], [bbox[3], bbox[2]]);
    var map = L.map(element, { attributionControl: true });
    var tiles = element.getAttribute("data-tile-url");
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, attribution: element.getAttribute("data-tile-attribution") }).addTo(map);
    } else {
      L.geoJSON({ type: "Feature", geometry: { type: "Polygon", coordinates: [[
        [bbox[0], bbox[1]], [bbox[2], bbox[1]], [bbox[2], bbox[3]], [bbox[0], bbox[3]], [bbox[0], bbox[1]]
      ]] } }, { style: { weight: 1, fill: false } }).addTo(map);
    }
    return { map: map, area: area, tiles: Boolean(tiles) };
  }
  window.SoSoftMap = { base: base };

  var element = document.getElementById("map");
  if (!element) { return; }
  L.Icon.Default.imagePath = element.getAttribute("data-icons");
  var shared = base(element);
  var map = shared.map;
  var lat = parseFloat(element.getAttribute("data-lat"));
  var lon = parseFloat(element.getAttribute("data-lon"));
  var marker = null;
  function pin(latlng) {
    if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng).addTo(map); }
  }
  if (!isNaN(lat) && !isNaN(lon)) {
    pin([lat, lon]);
    map.setView([lat, lon], shared.tiles ? 16 : 12);
  } else {
    map.fitBounds(shared.area);
  }
  map.on("click", function (event) {
    pin(event.latlng);
    document.getElementById("lat").value = event.latlng.lat.toFixed(6);
    document.getElementById("lon").value = event.latlng.lng.toFixed(6);
  });
})();
