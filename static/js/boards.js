/* Airport boards: the throughput chart (Chart.js). Loaded by the board pages only; no inline scripts (CSP).
 * The chart's data is in the canvas's data-chart attribute (JSON); clicking a bar opens the list of the shipments
 * behind it. htmx swaps the figures in every 30 seconds: the chart is drawn again from the new data. */
(function () {
  "use strict";

  var COLOURS = { arrived: "#6c757d", released: "#198754", handed_off: "#0d6efd" };

  function draw(canvas) {
    if (!window.Chart) return;
    var data;
    try { data = JSON.parse(canvas.dataset.chart); } catch (e) { return; }
    var old = window.Chart.getChart(canvas);
    if (old) old.destroy();
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (s) {
          return { label: s.label, data: s.values, backgroundColor: COLOURS[s.key] || "#adb5bd", urls: s.urls };
        })
      },
      options: {
        animation: false,
        responsive: true,
        aspectRatio: 2.6,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom" } },
        onHover: function (event, elements) {
          event.native.target.style.cursor = elements.length ? "pointer" : "default";
        },
        onClick: function (event, elements) {
          if (!elements.length) return;
          var hit = elements[0];
          var url = this.data.datasets[hit.datasetIndex].urls[hit.index];
          if (url) window.location.assign(url);
        }
      }
    });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSettle", function (e) { drawAll(e.target); });
})();
