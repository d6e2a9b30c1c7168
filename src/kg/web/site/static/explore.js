/* The explore page's pictures, from the data the page carries (no extra request, no CDN). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("year-data").textContent || "[]");
  var canvas = document.getElementById("year-chart");
  if (!canvas || typeof Chart === "undefined") return;
  window.yearChart = new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.map(function (d) { return String(d.year); }),
      datasets: [{ label: "projects", data: data.map(function (d) { return d.projectCount; }), backgroundColor: "#1f5fa8" }]
    },
    options: { animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
})();
