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
        return { value: cell.dataset.value, text: cell.textContent.trim() };
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

  function labels(data, width) {
    return data.rows.map(function (r) {
      var text = r[0].text;  // long labels are cut on the chart; the table has them whole
      return width && text.length > width ? text.slice(0, width - 1) + "…" : text;
    });
  }

  function line(text, values, colour, extra) {
    return Object.assign({
      type: "line", label: text, data: values, borderColor: colour, backgroundColor: colour,
      borderWidth: 2, pointRadius: 0, tension: 0.2
    }, extra || {});
  }

  function dailyConfig(data) {
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
      pace.rows.forEach(function (row, i) {
        var rate = perDay[i];
        datasets.push(line(row[0].text + ": " + row[1].text + " / " + label(data, "day").toLowerCase(),
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
          return { label: label(data, key), data: column(data, key), backgroundColor: PALETTE[i % PALETTE.length] };
        })
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } }
    };
  }

  function barConfig(data) {
    var key = data.heads[1].key;
    return {
      type: "bar",
      data: { labels: labels(data, 28), datasets: [
        { label: label(data, key), data: column(data, key), backgroundColor: PALETTE[0] }
      ] },
      options: { indexAxis: data.rows.length > 5 ? "y" : "x", plugins: { legend: { display: false } } }
    };
  }

  function groupedConfig(data) {
    var keys = data.heads.slice(2).map(function (h) { return h.key; });
    return {
      type: "bar",
      data: { labels: labels(data), datasets: keys.map(function (key, i) {
        return { label: label(data, key), data: column(data, key), backgroundColor: PALETTE[i] };
      }) }
    };
  }

  var BUILDERS = { daily: dailyConfig, pace: paceConfig, stacked: stackedConfig, bar: barConfig,
                   grouped: groupedConfig };

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
    var config = build(data);
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
