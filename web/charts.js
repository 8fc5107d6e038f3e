// Line charts as inline SVG, no library: a few series of (time, value) points on shared axes.
"use strict";

var TbmlCharts = (function () {
  var NS = "http://www.w3.org/2000/svg";

  function el(name, attrs, text) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function formatTime(ms) {
    var d = new Date(ms);
    return (d.getUTCMonth() + 1) + "/" + d.getUTCDate() + " " + String(d.getUTCHours()).padStart(2, "0") + "h";
  }

  // series: [{name, colour, points: [[t, v], ...], dots: bool}]; options: {yLabel, yFormat, yMin, yMax}.
  // Returns an <svg>, or a <p> saying there is nothing to draw yet.
  function lineChart(series, options) {
    options = options || {};
    var all = [];
    series.forEach(function (s) { s.points.forEach(function (p) { if (isFinite(p[1])) all.push(p); }); });
    if (all.length < 2) {
      var empty = document.createElement("p");
      empty.className = "chart-empty";
      empty.textContent = options.empty || "not enough resolved points yet";
      return empty;
    }
    var W = 560, H = 200, left = 52, right = 10, top = 10, bottom = 34;
    var t0 = Math.min.apply(null, all.map(function (p) { return p[0]; }));
    var t1 = Math.max.apply(null, all.map(function (p) { return p[0]; }));
    var v0 = options.yMin !== undefined ? options.yMin : Math.min.apply(null, all.map(function (p) { return p[1]; }));
    var v1 = options.yMax !== undefined ? options.yMax : Math.max.apply(null, all.map(function (p) { return p[1]; }));
    if (t1 === t0) t1 = t0 + 1;
    if (v1 === v0) { v1 = v0 + 1e-9; }
    var x = function (t) { return left + (t - t0) / (t1 - t0) * (W - left - right); };
    var y = function (v) { return top + (1 - (v - v0) / (v1 - v0)) * (H - top - bottom); };
    var fmt = options.yFormat || function (v) { return v.toFixed(3); };
    var svg = el("svg", {viewBox: "0 0 " + W + " " + H, class: "chart", role: "img"});
    for (var i = 0; i <= 4; ++i) {
      var v = v0 + (v1 - v0) * i / 4;
      svg.appendChild(el("line", {x1: left, x2: W - right, y1: y(v), y2: y(v), class: "gridline"}));
      svg.appendChild(el("text", {x: left - 4, y: y(v) + 4, class: "tick", "text-anchor": "end"}, fmt(v)));
    }
    for (var j = 0; j <= 3; ++j) {
      var t = t0 + (t1 - t0) * j / 3;
      var anchor = j === 0 ? "start" : j === 3 ? "end" : "middle";
      svg.appendChild(el("text", {x: x(t), y: H - bottom + 16, class: "tick", "text-anchor": anchor}, formatTime(t)));
    }
    series.forEach(function (s, k) {
      var pts = s.points.filter(function (p) { return isFinite(p[1]); });
      if (s.dots) {
        pts.forEach(function (p) {
          svg.appendChild(el("circle", {cx: x(p[0]).toFixed(1), cy: y(p[1]).toFixed(1), r: 1.8, fill: s.colour,
                                        class: "series-dot"}));
        });
      } else if (pts.length > 1) {
        svg.appendChild(el("polyline", {
          points: pts.map(function (p) { return x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1); }).join(" "),
          fill: "none", stroke: s.colour, "stroke-width": s.width || 1.6, class: "series-line",
          "stroke-dasharray": s.dashed ? "4 3" : "none"}));
      }
      var lx = left + 8 + k * 170;
      svg.appendChild(el("rect", {x: lx, y: H - 12, width: 10, height: 4, fill: s.colour}));
      svg.appendChild(el("text", {x: lx + 14, y: H - 8, class: "legend"}, s.name));
    });
    return svg;
  }

  return {lineChart: lineChart};
})();
