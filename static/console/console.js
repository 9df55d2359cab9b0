/* FleetOps console: draws the charts (Chart.js, vendored), remembers the operator's time
 * zone, and small conveniences. Data reaches the page as JSON (json_script), never as code,
 * so the Content-Security-Policy stays script-src 'self'. */
(function () {
  "use strict";

  // The server shows moments in this zone from the next page on.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("fleetops_tz=" + zone) === -1) {
      document.cookie = "fleetops_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Lax";
    }
  } catch (e) { /* no Intl: UTC */ }

  var PALETTE = ["#417690", "#e8a33d", "#5b9a68", "#c4524a", "#7f6aa8", "#3aa3b5", "#8a8a8a"];
  var STATUS_COLOURS = {
    Enabled: "#5b9a68", Online: "#5b9a68", Delivered: "#5b9a68",
    Disabled: "#8a8a8a", Offline: "#c4524a", Failed: "#c4524a",
    Suspended: "#e8a33d", Expired: "#7f6aa8", "No reading": "#bdbdbd", Pending: "#e8a33d"
  };

  function formatValue(value, unit) {
    if (value === null || value === undefined) { return "—"; }
    if (unit === "MB") {
      if (value >= 1024 * 1024) { return (value / 1024 / 1024).toFixed(1) + " TB"; }
      if (value >= 1024) { return (value / 1024).toFixed(1) + " GB"; }
      return (Math.round(value * 10) / 10) + " MB";
    }
    var text = Number(value).toLocaleString();
    return unit ? text + " " + unit : text;
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof Chart === "undefined") { return null; }
    var config = JSON.parse(source.textContent);
    var round = config.kind === "doughnut" || config.kind === "pie";
    var datasets = config.series.map(function (series, i) {
      var colour = PALETTE[i % PALETTE.length];
      var dataset = {
        label: series.label,
        data: series.values,
        unit: series.unit,
        yAxisID: round ? undefined : series.axis,
        borderWidth: round ? 1 : 2,
        pointRadius: config.kind === "line" ? 0 : undefined,
        tension: 0.25
      };
      if (round) {
        dataset.backgroundColor = config.labels.map(function (label, j) {
          return STATUS_COLOURS[label] || PALETTE[j % PALETTE.length];
        });
      } else {
        dataset.borderColor = colour;
        dataset.backgroundColor = colour + (config.kind === "line" ? "33" : "cc");
        dataset.fill = config.kind === "line" && i === 0;
      }
      return dataset;
    });
    var scales = {};
    if (!round) {
      var axes = {};
      config.series.forEach(function (series) { axes[series.axis] = series.unit; });
      Object.keys(axes).forEach(function (axis) {
        scales[axis] = {
          position: axis === "y2" ? "right" : "left",
          beginAtZero: true,
          grid: { drawOnChartArea: axis === "y" },
          title: { display: !!axes[axis], text: axes[axis] === "MB" ? "Data" : axes[axis] },
          ticks: { callback: function (value) { return formatValue(value, axes[axis]); } }
        };
      });
      scales.x = { ticks: { maxTicksLimit: 10, autoSkip: true } };
    }
    var chart = new Chart(canvas, {
      type: config.kind,
      data: { labels: config.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: round ? "nearest" : "index", intersect: round },
        scales: scales,
        plugins: {
          legend: { position: round ? "right" : "bottom" },
          tooltip: {
            callbacks: {
              label: function (item) {
                return item.dataset.label + ": " + formatValue(item.raw, item.dataset.unit);
              }
            }
          }
        },
        onClick: function (event, elements) {
          var link = config.url;
          if (elements.length && config.links[elements[0].index]) {
            link = config.links[elements[0].index];
          }
          if (link) { window.location.href = link; }
        },
        onHover: function (event, elements) {
          event.native.target.style.cursor = (elements.length || config.url) ? "pointer" : "default";
        }
      }
    });
    return chart;
  }

  function ready() {
    window.FleetOpsCharts = {};
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var chart = draw(canvas);
      if (chart) { window.FleetOpsCharts[canvas.getAttribute("data-chart")] = chart; }
    });
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    // A running job's page follows its progress.
    var refresh = document.querySelector("body.change-form [data-refresh-seconds]");
    if (refresh && Number(refresh.getAttribute("data-refresh-seconds")) > 0) {
      window.setTimeout(function () { window.location.reload(); },
        1000 * Number(refresh.getAttribute("data-refresh-seconds")));
    }
    document.documentElement.setAttribute("data-console-ready", "true");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
}());
