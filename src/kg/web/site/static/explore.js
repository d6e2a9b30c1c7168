/* The explore pages' pictures, from the data each page carries (no extra request, no CDN). */
(function () {
  "use strict";
  var years = document.getElementById("year-data");
  var canvas = document.getElementById("year-chart");
  if (years && canvas && typeof Chart !== "undefined") {
    var data = JSON.parse(years.textContent || "[]");
    window.yearChart = new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.map(function (d) { return String(d.year); }),
        datasets: [{ label: "projects", data: data.map(function (d) { return d.projectCount; }), backgroundColor: "#1f5fa8" }]
      },
      options: { animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }
  var net = document.getElementById("network-data");
  var box = document.getElementById("network");
  if (net && box && typeof cytoscape !== "undefined") {
    var n = JSON.parse(net.textContent || "{}");
    var me = n.organisation["@id"];
    var elements = [{ data: { id: me, label: n.organisation.label, centre: 1 } }];
    (n.partners || []).forEach(function (p) {
      elements.push({ data: { id: p["@id"], label: p.label, centre: 0 } });
      elements.push({ data: { id: me + " " + p["@id"], source: me, target: p["@id"], weight: p.projects } });
    });
    (n.links || []).forEach(function (l) {
      elements.push({ data: { id: l.source + " " + l.target, source: l.source, target: l.target, weight: l.projects } });
    });
    window.networkChart = cytoscape({
      container: box,
      maxZoom: 1.5,
      elements: elements,
      layout: { name: "concentric", concentric: function (node) { return node.data("centre") ? 2 : 1; }, levelWidth: function () { return 1; }, animate: false },
      style: [
        { selector: "node", style: { "background-color": "#1f5fa8", label: "data(label)", "font-size": 9, width: 14, height: 14 } },
        { selector: "node[centre = 1]", style: { "background-color": "#c0392b", width: 26, height: 26, "font-size": 12 } },
        { selector: "edge", style: { width: "mapData(weight, 1, 10, 1, 6)", "line-color": "#9bb7d4", opacity: 0.7 } }
      ]
    });
  }
})();
