/* The dashboard's charts, drawn from the tables beside them (their data-value cells).
 * Without JavaScript the tables are the page; with it, each <figure class="chart"> is drawn
 * with Chart.js (vendored in static/vendor/chartjs, no CDN). */
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }

  var PALETTE = ["#0b5c7d", "#d98e04", "#1f7a3d", "#8e3b8f", "#b3261e", "#13808f",
                 "#6b7a8f", "#a0522d", "#3f51b5", "#5b8c00"];
  var BASELINE_COLOURS = ["#b3261e", "#7b1fa2", "#00695c", "#ef6c00"];

  function readTable(id) {
    var table = document.getElementById(id);
    if (!table) { return null; }
    var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return { key: th.dataset.key, label: th.textContent.trim() };
    });
    var rows = Array.prototype.filter.call(table.querySelectorAll("tbody tr"), function (tr) {
      return tr.querySelector("[data-value]");
    }).map(function (tr) {
      return Array.prototype.map.call(tr.querySelectorAll("th, td"), function (cell) {
        return { value: cell.dataset.value, text: cell.textContent.trim(),
                 label: cell.dataset.label || null, partial: cell.dataset.partial === "true" };
      });
    });
    return { heads: heads, rows: rows };
  }

  function column(data, key) {
    var index = data.heads.findIndex(function (h) { return h.key === key; });
    return data.rows.map(function (r) { return r[index].value === "" ? null : Number(r[index].value); });
  }

  function label(data, key) {
    var head = data.heads.find(function (h) { return h.key === key; });
    return head ? head.label : key;
  }

  // A label in lines at most `width` pixels wide (as the chart's font draws them): broken at
  // spaces, or between any two characters of a word wider than a line (Chinese has no spaces).
  // Chart.js draws an array as lines.
  var measure = document.createElement("canvas").getContext("2d");
  function wrap(text, width) {
    measure.font = Chart.defaults.font.size + "px " + Chart.defaults.font.family;
    var fits = function (line) { return measure.measureText(line).width <= width; };
    if (!width || fits(text)) { return text; }
    var lines = [];
    var current = "";
    text.split(/\s+/).forEach(function (word) {
      var joined = current ? current + " " + word : word;
      if (fits(joined)) { current = joined; return; }
      if (current) { lines.push(current); }
      current = "";
      Array.from(word).forEach(function (character) {
        if (current && !fits(current + character)) { lines.push(current); current = ""; }
        current += character;
      });
    });
    if (current) { lines.push(current); }
    return lines;
  }

  // Every category's name, whole: wrapped, never cut. A period has a short label of its own,
  // and a week or month only partly inside the window says so on a second line.
  function labels(data, width) {
    return data.rows.map(function (r) {
      return r[0].label ? r[0].label.split("\n") : wrap(r[0].text, width);
    });
  }

  // A partial period's bar is paler, so that it does not read as a dip.
  function shades(data, colour) {
    return data.rows.map(function (r) { return r[0].partial ? colour + "66" : colour; });
  }

  // The legend shows each series in its full colour (Chart.js would take its first bar's).
  function fullColours(chart) {
    var items = Chart.defaults.plugins.legend.labels.generateLabels(chart);
    items.forEach(function (item) {
      var colour = chart.data.datasets[item.datasetIndex].colour;
      if (colour) { item.fillStyle = item.strokeStyle = colour; }
    });
    return items;
  }

  // The names beside horizontal bars take at most 40% of the chart's width.
  function sideWidth(figure) {
    return Math.min(200, Math.max(60, figure.clientWidth * 0.4));
  }

  // Horizontal bars: every category named on the side, the chart as tall as its bars and the
  // lines of their names need.
  function horizontal(figure, names, bars) {
    var height = names.reduce(function (sum, name) {
      var lines = Array.isArray(name) ? name.length : 1;
      return sum + Math.max(bars * 14 + 22, lines * 15 + 12);
    }, 70);
    figure.style.height = Math.max(200, height) + "px";
    return { indexAxis: "y",
             scales: { x: { beginAtZero: true, ticks: { autoSkip: true } },
                       y: { ticks: { autoSkip: false } } } };
  }

  var COMPANY_COLOURS = ["#6a3d9a", "#d98e04", "#2e7d32", "#b3261e"];  // changed, suspended, restored, struck off

  function line(text, values, colour, extra) {
    return Object.assign({
      type: "line", label: text, data: values, borderColor: colour, backgroundColor: colour,
      borderWidth: 2, pointRadius: 0, tension: 0.2
    }, extra || {});
  }

  function dailyConfig(data, figure) {
    var count = data.rows.length;
    var datasets = [
      { type: "bar", label: label(data, "registrations"), data: column(data, "registrations"),
        backgroundColor: "rgba(11, 92, 125, 0.35)", borderWidth: 0, order: 5 },
      line(label(data, "average_7"), column(data, "average_7"), "#0b5c7d", { order: 2 }),
      line(label(data, "average_30"), column(data, "average_30"), "#d98e04", { order: 1, borderWidth: 3 }),
      line(label(data, "submissions"), column(data, "submissions"), "#6b7a8f",
           { order: 3, borderWidth: 1, borderDash: [2, 3] })
    ];
    // The baselines' daily rates, from the year-to-date table: flat lines across the window.
    var pace = readTable("table-year-to-date");
    if (pace) {
      var perDay = column(pace, "per_day");
      var legend = figure.dataset.baselineLabel;  // "{baseline}: {rate} per day", translated
      pace.rows.forEach(function (row, i) {
        var rate = perDay[i];
        datasets.push(line(legend.replace("{baseline}", row[0].text).replace("{rate}", row[1].text),
          new Array(count).fill(rate), BASELINE_COLOURS[i % BASELINE_COLOURS.length],
          { borderDash: [8, 5], tension: 0, order: 0, borderWidth: 2 }));
      });
    }
    return { data: { labels: labels(data), datasets: datasets } };
  }

  function paceConfig(data) {
    return {
      type: "bar",
      data: {
        labels: labels(data),
        datasets: [
          { label: label(data, "registered"), data: column(data, "registered"), backgroundColor: PALETTE[0] },
          { label: label(data, "pace"), data: column(data, "pace"), backgroundColor: PALETTE[1] }
        ]
      }
    };
  }

  function stackedConfig(data) {
    var keys = data.heads.slice(1).map(function (h) { return h.key; }).filter(function (k) { return k !== "total"; });
    return {
      type: "bar",
      data: {
        labels: labels(data),
        datasets: keys.map(function (key, i) {
          var colour = PALETTE[i % PALETTE.length];
          return { label: label(data, key), data: column(data, key), colour: colour,
                   backgroundColor: shades(data, colour) };
        })
      },
      options: { scales: { x: { stacked: true,
                                ticks: { autoSkip: data.rows.length > 16, maxRotation: 90 } },
                           y: { stacked: true, beginAtZero: true } },
                 plugins: { legend: { labels: { generateLabels: fullColours } } } }
    };
  }

  function barConfig(data, figure) {
    var key = data.heads[1].key;
    var names = labels(data, sideWidth(figure));
    var options = horizontal(figure, names, 1);
    options.plugins = { legend: { display: false } };
    return {
      type: "bar",
      data: { labels: names, datasets: [
        { label: label(data, key), data: column(data, key), backgroundColor: PALETTE[0] }
      ] },
      options: options
    };
  }

  function groupedConfig(data, figure) {
    var keys = data.heads.slice(2).map(function (h) { return h.key; });
    var names = labels(data, sideWidth(figure));
    return {
      type: "bar",
      data: { labels: names, datasets: keys.map(function (key, i) {
        return { label: label(data, key), data: column(data, key), backgroundColor: PALETTE[i] };
      }) },
      options: horizontal(figure, names, keys.length)
    };
  }

  // The register per day: the moves as bars, the active companies as a line on their own axis.
  function companiesConfig(data) {
    var moves = ["changed", "suspended", "restored", "struck_off"];
    var datasets = moves.map(function (key, i) {
      return { type: "bar", label: label(data, key), data: column(data, key),
               backgroundColor: COMPANY_COLOURS[i], yAxisID: "y", order: 2 };
    });
    datasets.push(line(label(data, "active"), column(data, "active"), "#0b5c7d",
                       { yAxisID: "active", order: 1 }));
    return {
      data: { labels: labels(data), datasets: datasets },
      options: { scales: {
        x: { stacked: true },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
        active: { position: "right", beginAtZero: false, grid: { drawOnChartArea: false },
                  title: { display: true, text: label(data, "active") } }
      } }
    };
  }

  var BUILDERS = { daily: dailyConfig, pace: paceConfig, stacked: stackedConfig, bar: barConfig,
                   grouped: groupedConfig, companies: companiesConfig };

  function merge(target, source) {
    Object.keys(source || {}).forEach(function (key) {
      var value = source[key];
      if (value && typeof value === "object" && !Array.isArray(value)) {
        target[key] = merge(target[key] || {}, value);
      } else {
        target[key] = value;
      }
    });
    return target;
  }

  Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
  Chart.defaults.color = "#1b2430";
  document.body.classList.add("charts-on");

  document.querySelectorAll("figure.chart").forEach(function (figure) {
    var data = readTable(figure.dataset.table);
    var build = BUILDERS[figure.dataset.chart];
    if (!data || !build || data.rows.length === 0) {
      figure.hidden = true;
      return;
    }
    var config = build(data, figure);
    config.type = config.type || "bar";
    config.options = merge({
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 14 } } },
      scales: { y: { beginAtZero: true }, x: { ticks: { autoSkip: true, maxRotation: 0 } } }
    }, config.options);
    new Chart(figure.querySelector("canvas"), config);
    figure.dataset.rendered = "true";
  });
})();
