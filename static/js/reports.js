/* 统计报表：draws the dashboard charts from the JSON the page embeds (json_script "report-charts").
   Chart.js is the local copy in static/vendor/chartjs/ (MIT, see LICENSE.md there); no CDN. */
(function () {
  "use strict";

  var PALETTE = ["#1f5fa8", "#2e7d32", "#b26a00", "#c0392b", "#6a4c93", "#00838f", "#5b6776",
                 "#8d6e63", "#ad1457", "#558b2f", "#283593"];

  var REDUCED_MOTION = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function readData() {
    var node = document.getElementById("report-charts");
    if (!node) { return null; }
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  function wan(value) {
    return Number(value).toLocaleString("zh-CN", { maximumFractionDigits: 2 }) + " 万元";
  }

  function bar(canvas, labels, datasets, opts) {
    opts = opts || {};
    return new window.Chart(canvas, {
      type: opts.type || "bar",
      data: { labels: labels, datasets: datasets },
      options: {
        responsive: true,
        animation: REDUCED_MOTION ? false : { duration: 400 },
        maintainAspectRatio: true,
        aspectRatio: opts.aspectRatio || 1.6,
        indexAxis: opts.horizontal ? "y" : "x",
        plugins: {
          legend: { display: datasets.length > 1 },
          tooltip: opts.money ? { callbacks: { label: function (ctx) {
            var v = opts.horizontal ? ctx.parsed.x : ctx.parsed.y;
            return (ctx.dataset.label ? ctx.dataset.label + "：" : "") + wan(v);
          } } } : {}
        },
        scales: {
          x: { beginAtZero: true, ticks: { autoSkip: false, maxRotation: 45, precision: opts.integer ? 0 : undefined } },
          y: { beginAtZero: true, ticks: { precision: opts.integer ? 0 : undefined } }
        }
      }
    });
  }

  function draw(kind, canvas, d) {
    switch (kind) {
      case "states":
        return bar(canvas, d.states.labels, [{ label: "件数", data: d.states.values, backgroundColor: PALETTE }],
                   { integer: true });
      case "amounts":
        return bar(canvas, d.amounts.labels, [{ label: "金额", data: d.amounts.values, backgroundColor: PALETTE }],
                   { money: true });
      case "districts":
        return bar(canvas, d.districts.labels, [
          { label: "申报金额", data: d.districts.requested, backgroundColor: PALETTE[0] },
          { label: "审定金额", data: d.districts.approved, backgroundColor: PALETTE[1] },
          { label: "已兑现", data: d.districts.paid, backgroundColor: PALETTE[2] }
        ], { money: true });
      case "budget":
        return bar(canvas, d.budget.labels, [
          { label: "批次预算", data: d.budget.budget, backgroundColor: "#b8c9e0" },
          { label: "已使用", data: d.budget.used, backgroundColor: PALETTE[0] }
        ], { money: true, horizontal: d.budget.labels.length > 6,
             aspectRatio: d.budget.labels.length > 6 ? 1.0 : 1.6 });
      case "stages":
        return bar(canvas, d.stages.labels, [
          { label: "中位数（天）", data: d.stages.median, backgroundColor: PALETTE[0] },
          { label: "90分位（天）", data: d.stages.p90, backgroundColor: PALETTE[2] }
        ]);
      case "monthly":
        return bar(canvas, d.monthly.labels, [
          { label: "申报件数", data: d.monthly.submitted, borderColor: PALETTE[0], backgroundColor: PALETTE[0] },
          { label: "审定通过件数", data: d.monthly.approved, borderColor: PALETTE[1], backgroundColor: PALETTE[1] }
        ], { type: "line", integer: true });
      default:
        return null;
    }
  }

  function init() {
    var data = readData();
    if (!data || !window.Chart) { return; }
    window.Chart.defaults.font.family = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif';
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var kind = canvas.getAttribute("data-chart");
      if (!data[kind] || !data[kind].labels || data[kind].labels.length === 0) {
        var empty = document.createElement("p");
        empty.className = "muted";
        empty.textContent = "暂无数据";
        canvas.replaceWith(empty);
        return;
      }
      draw(kind, canvas, data);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
