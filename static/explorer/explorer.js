// Pattern explorer charts (Chart.js, vendored). Data comes from <script type="application/json"> blocks
// written by Django's json_script; every number here is also in a table on the page.
(() => {
  "use strict";
  const PALETTE = ["#2456a6", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#7a5195", "#8c564b",
    "#4d4d4d", "#b8860b", "#17becf", "#bcbd22"];
  const INK = "#1d2330";
  const GRID = "#e6e9ef";

  function readData(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function fmt(value, percent) {
    if (value === null || value === undefined) return "—";
    return percent ? `${Math.round(value * 100)}%` : Number(value).toFixed(2);
  }

  // Draws the 95% interval of each point or bar as a vertical whisker with caps.
  const intervals = {
    id: "intervals",
    afterDatasetsDraw(chart) {
      const { ctx } = chart;
      const y = chart.scales.y;
      chart.data.datasets.forEach((dataset, di) => {
        if (!dataset.intervals) return;
        const meta = chart.getDatasetMeta(di);
        if (meta.hidden) return;
        ctx.save();
        ctx.strokeStyle = dataset.intervalColor || INK;
        ctx.lineWidth = 1.4;
        meta.data.forEach((element, i) => {
          const ci = dataset.intervals[i];
          if (!ci || ci[0] === null || ci[1] === null) return;
          const x = element.x;
          const top = y.getPixelForValue(ci[1]);
          const bottom = y.getPixelForValue(ci[0]);
          const cap = Math.max(2, Math.min(5, (element.width || 8) / 3));
          ctx.beginPath();
          ctx.moveTo(x, top); ctx.lineTo(x, bottom);
          ctx.moveTo(x - cap, top); ctx.lineTo(x + cap, top);
          ctx.moveTo(x - cap, bottom); ctx.lineTo(x + cap, bottom);
          ctx.stroke();
        });
        ctx.restore();
      });
    },
  };

  // A dashed horizontal line (e.g. the alpha threshold).
  const threshold = {
    id: "threshold",
    afterDatasetsDraw(chart, args, options) {
      if (options.value === undefined || options.value === null) return;
      const { ctx, chartArea } = chart;
      const yPixel = chart.scales.y.getPixelForValue(options.value);
      ctx.save();
      ctx.setLineDash([6, 4]);
      ctx.strokeStyle = "#b3261e";
      ctx.beginPath();
      ctx.moveTo(chartArea.left, yPixel); ctx.lineTo(chartArea.right, yPixel);
      ctx.stroke();
      ctx.restore();
    },
  };

  function valueAxis(axis, extra) {
    const scale = { beginAtZero: false, grid: { color: GRID }, ticks: { color: INK } };
    const hasRange = axis && axis.min !== null && axis.min !== undefined && axis.max !== null && axis.max !== undefined;
    // Short scales (e.g. 0-5) are shown whole so models compare at a glance; long ones (counts
    // up to 50) would flatten every point, so they fit the data instead.
    if (hasRange && axis.max - axis.min <= 10) {
      scale.suggestedMin = axis.min; scale.suggestedMax = axis.max;
    } else if (hasRange && axis.min >= 0) {
      scale.beginAtZero = true;
    }
    if (axis && axis.labels && axis.labels.length) {
      scale.min = -0.25; scale.max = axis.labels.length - 0.75;
      const short = (text) => (text.length > 20 ? `${text.slice(0, 19)}…` : text);
      scale.ticks = { color: INK, stepSize: 1, callback: (v) => (Number.isInteger(v) ? short(axis.labels[v]) : "") };
      scale.afterBuildTicks = (s) => { s.ticks = axis.labels.map((_, i) => ({ value: i })); };
    }
    if (axis && axis.percent) {
      scale.min = 0; scale.max = 1;
      scale.ticks = { color: INK, callback: (v) => `${Math.round(v * 100)}%` };
    }
    return Object.assign(scale, extra || {});
  }

  // "Claude 3 Opus", "Claude 3.5 Haiku", … → "3 Opus", "3.5 Haiku": the shared first words say nothing.
  function shortLabels(labels) {
    if (labels.length < 2) return labels;
    const words = labels.map((l) => String(l).split(" "));
    let shared = 0;
    while (words.every((w) => w.length > shared + 1 && w[shared] === words[0][shared])) shared += 1;
    return words.map((w) => w.slice(shared).join(" "));
  }

  function categoryAxis(labels) {
    const short = labels ? shortLabels(labels) : null;
    return {
      grid: { display: false },
      ticks: { color: INK, autoSkip: false, maxRotation: 60, minRotation: 0,
        callback(value) { const text = short ? short[value] : this.getLabelForValue(value); return text; } },
    };
  }

  function goTo(url) { if (url) window.location.assign(url); }

  function clickHandler(urlsFor) {
    return (event, elements, chart) => {
      if (!elements.length) return;
      const { datasetIndex, index } = elements[0];
      goTo(urlsFor(datasetIndex, index, chart));
    };
  }

  function hoverCursor(event, elements) {
    event.native.target.style.cursor = elements.length ? "pointer" : "default";
  }

  function points(canvas, spec) {
    const series = spec.series[0];
    const data = series.points.map((p) => (p ? p.mean : null));
    const color = PALETTE[0];
    return new Chart(canvas, {
      type: "line",
      data: {
        labels: spec.categories,
        datasets: [{
          label: series.label, data, showLine: false, spanGaps: false,
          intervals: series.points.map((p) => (p ? [p.lo, p.hi] : null)),
          pointRadius: 5, pointHoverRadius: 7, borderColor: color, pointBorderWidth: 2,
          pointBackgroundColor: series.points.map((p) => (p && p.flagged ? "#ffffff" : color)),
        }],
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        onClick: clickHandler((d, i) => series.points[i] && series.points[i].url), onHover: hoverCursor,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: (item) => {
                const p = series.points[item.dataIndex];
                if (!p) return "no data";
                const ci = p.lo === null ? "CI n/a" : `[${fmt(p.lo)}, ${fmt(p.hi)}]`;
                const marks = p.flags.length ? ` · ${p.flags.join(", ").replaceAll("_", " ")}` : "";
                return `${fmt(p.mean)} ${ci} · n=${p.n}${marks}`;
              },
            },
          },
        },
        scales: { x: categoryAxis(spec.categories), y: valueAxis(spec.axis) },
      },
      plugins: [intervals],
    });
  }

  function grouped(canvas, spec) {
    const percent = spec.axis && spec.axis.percent;
    const asPoints = canvas.dataset.points === "1";
    const datasets = spec.series.map((s, k) => {
      const color = PALETTE[k % PALETTE.length];
      const base = {
        label: s.label,
        data: s.points.map((p) => (p ? p.mean : null)),
        intervals: s.points.map((p) => (p ? [p.lo, p.hi] : null)),
        backgroundColor: s.points.map((p) => (p && p.flagged ? `${color}55` : `${color}cc`)),
        borderColor: color, borderWidth: 1,
      };
      if (asPoints) {
        return Object.assign(base, { type: "line", showLine: false, pointRadius: 5, pointHoverRadius: 7,
          pointBackgroundColor: s.points.map((p) => (p && p.flagged ? "#ffffff" : color)), pointBorderWidth: 2 });
      }
      return Object.assign(base, { type: "bar", categoryPercentage: 0.8, barPercentage: 0.9 });
    });
    return new Chart(canvas, {
      type: "bar",
      data: { labels: spec.categories, datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        onClick: clickHandler((d, i) => { const p = spec.series[d].points[i]; return p && p.url; }), onHover: hoverCursor,
        plugins: {
          legend: { position: "top", labels: { boxWidth: 12, color: INK } },
          threshold: { value: spec.threshold },
          tooltip: {
            callbacks: {
              label: (item) => {
                const p = spec.series[item.datasetIndex].points[item.dataIndex];
                if (!p) return `${item.dataset.label}: no data`;
                const ci = p.lo === null || p.lo === undefined ? "" : ` [${fmt(p.lo)}, ${fmt(p.hi)}]`;
                const marks = p.flags && p.flags.length ? ` · ${p.flags.join(", ").replaceAll("_", " ")}` : "";
                return `${item.dataset.label}: ${fmt(p.mean, percent)}${ci} · n=${p.n}${marks}`;
              },
            },
          },
        },
        scales: { x: categoryAxis(spec.categories), y: valueAxis(spec.axis, percent ? {} : { beginAtZero: !spec.axis.labels.length && (spec.axis.min === null || spec.axis.min >= 0) }) },
      },
      plugins: [intervals, threshold],
    });
  }

  function distribution(canvas, spec) {
    const names = spec.models.map((m) => m.name);
    const color = PALETTE[0];
    const maxCount = Math.max(1, ...spec.models.flatMap((m) => m.histogram.map((h) => h[1])));
    const dots = [];
    spec.models.forEach((m) => m.histogram.forEach(([value, count]) => {
      dots.push({ x: m.name, y: value, count, r: 2 + 7 * Math.sqrt(count / maxCount) });
    }));
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: names,
        datasets: [
          { type: "bar", label: "Whiskers", data: spec.models.map((m) => [m.whisker_low, m.whisker_high]),
            backgroundColor: "#8a94a6", barPercentage: 0.04, categoryPercentage: 1, grouped: false, order: 3 },
          { type: "bar", label: "Middle half (quartiles)", data: spec.models.map((m) => [m.q1, m.q3]),
            backgroundColor: spec.models.map((m) => (m.flagged ? "#2456a622" : "#2456a640")), borderColor: color,
            borderWidth: 1.5, barPercentage: 0.55, categoryPercentage: 1, grouped: false, order: 2,
            minBarLength: 2 },
          { type: "scatter", label: "Interviews (dot size = how many)", data: dots,
            pointRadius: dots.map((d) => d.r), pointHoverRadius: dots.map((d) => d.r + 2),
            backgroundColor: "#d55e0099", borderColor: "#d55e00", borderWidth: 1, order: 1 },
          { type: "scatter", label: "Median", data: spec.models.map((m) => ({ x: m.name, y: m.median })),
            pointStyle: "line", pointRadius: 14, borderWidth: 3, borderColor: INK, order: 0 },
          { type: "scatter", label: "Mean", data: spec.models.map((m) => ({ x: m.name, y: m.mean })),
            pointStyle: "rectRot", pointRadius: 6, backgroundColor: "#ffffff", borderColor: INK, borderWidth: 2, order: 0 },
        ],
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        onClick: clickHandler((d, i, chart) => {
          const ds = chart.data.datasets[d];
          const name = ds.type === "scatter" ? ds.data[i].x : names[i];
          const model = spec.models.find((m) => m.name === name);
          return model && model.url;
        }),
        onHover: hoverCursor,
        plugins: {
          legend: { position: "top", labels: { boxWidth: 12, color: INK } },
          tooltip: {
            callbacks: {
              label: (item) => {
                const ds = item.dataset;
                if (ds.label.startsWith("Interviews")) return `${fmt(item.raw.y)}: ${item.raw.count} interview(s)`;
                const m = spec.models[item.dataIndex] || spec.models.find((x) => x.name === item.raw.x);
                if (!m) return ds.label;
                return `${ds.label} · mean ${fmt(m.mean)}, median ${fmt(m.median)}, quartiles ${fmt(m.q1)}–${fmt(m.q3)}, n=${m.n}`;
              },
            },
          },
        },
        scales: { x: categoryAxis(names), y: valueAxis(spec.axis) },
      },
    });
  }

  const BUILDERS = { points, grouped, distribution };

  function draw() {
    if (typeof Chart === "undefined") return;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.font.size = 11;
    document.querySelectorAll("canvas.explorer-chart").forEach((canvas) => {
      const data = readData(canvas.dataset.source);
      if (!data) return;
      const spec = canvas.dataset.index !== undefined ? data[Number(canvas.dataset.index)] : data;
      const build = BUILDERS[canvas.dataset.chart];
      if (spec && build) {
        build(canvas, spec);
        canvas.dataset.drawn = "1";
      }
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
