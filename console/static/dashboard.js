// Draws the dashboard's charts with Chart.js (static/vendor/chart.umd.min.js, loaded before this
// file). Each canvas carries what it draws in data-chart (JSON written by the server), so the page
// needs no inline script; the same figures are in the table under each chart.
"use strict";

(function () {
  if (typeof Chart === "undefined") {
    return; // the library did not load: the tables still say everything
  }
  function options(spec) {
    const result = { animation: false, responsive: true, plugins: { legend: { position: "bottom" } } };
    if (spec.type === "doughnut") {
      result.aspectRatio = 3; // as wide as the others, not as tall as it is wide
    }
    if (spec.type === "bar" || spec.type === "line") {
      result.scales = { y: spec.percent ? { min: 0, max: 100 } : { beginAtZero: true, ticks: { precision: 0 } } };
    }
    return result;
  }
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    const spec = JSON.parse(canvas.dataset.chart);
    canvas.chart = new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: spec.datasets },
      options: options(spec),
    });
  });
})();
