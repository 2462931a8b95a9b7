// The dashboard's map: the analytics heatmap (the API's GeoJSON, as it comes) as
// cells shaded by their count, and the hotspots as circles. The element's
// data-features says how many cells were drawn (the browser test reads it).
// Needs map.js before it.
(function () {
  "use strict";
  var element = document.getElementById("dashboard-map");
  if (!element || !window.SoSoftMap) { return; }
  var shared = window.SoSoftMap.base(element);  // map.js: tiles or the area's outline
  var map = shared.map;
  map.fitBounds(shared.area);
  function getJson(url, then) {
    var request = new XMLHttpRequest();
    request.open("GET", url);
    request.onload = function () {
      if (request.status === 401) { window.location.reload(); return; }
      if (request.status === 200) { then(JSON.parse(request.responseText)); }
    };
    request.send();
  }
  getJson(element.getAttribute("data-heatmap"), function (collection) {
    var most = 1;
    collection.features.forEach(function (f) { most = Math.max(most, f.properties.count || 0); });
    var cells = L.geoJSON(collection, {
      style: function (feature) {
        var share = (feature.properties.count || 0) / most;
        return { weight: 0.5, color: "#7a1d00", fillColor: "#d9480f", fillOpacity: 0.15 + 0.6 * share };
      },
      onEachFeature: function (feature, layer) { layer.bindTooltip(String(feature.properties.count)); }
    }).addTo(map);
    if (collection.features.length) { map.fitBounds(cells.getBounds(), { maxZoom: 14, animate: false }); }
    element.setAttribute("data-features", String(collection.features.length));
  });
  getJson(element.getAttribute("data-hotspots"), function (answer) {
    var label = element.getAttribute("data-hotspot-label");
    answer.data.forEach(function (spot) {
      L.circleMarker([spot.centre.lat, spot.centre.lon], { radius: 8 + Math.sqrt(spot.count), color: "#1c3d7a" })
        .bindTooltip(label + ": " + spot.count + " · " + spot.oldest_ticket.number).addTo(map);
    });
    element.setAttribute("data-hotspots-drawn", String(answer.data.length));
  });
})();
