// The status page: reads the service's own API (same origin) every few seconds and renders health, each
// pair's prediction, models, ensemble weights and charts, the training queue and storage. Every panel
// says what it knows: a 503 is shown with its reason, never as a number.
"use strict";

(function () {
  var REFRESH_MS = 5000;
  var refreshes = 0;

  function get(path) {
    return fetch(path, {cache: "no-store"}).then(function (r) {
      return r.json().then(function (body) { return {status: r.status, body: body}; },
                           function () { return {status: r.status, body: null}; });
    }, function (err) { return {status: 0, body: {error: "unreachable", message: String(err)}}; });
  }

  function h(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function num(v, digits) {
    if (v === null || v === undefined || !isFinite(v)) return "–";
    return Number(v).toFixed(digits === undefined ? 3 : digits);
  }
  function pct(v, digits) { return v === null || v === undefined ? "–" : num(v * 100, digits === undefined ? 1 : digits) + " %"; }
  function age(ms) {
    if (!ms) return "never";
    var s = Math.max(0, (Date.now() - ms) / 1000);
    if (s < 90) return Math.round(s) + " s ago";
    if (s < 5400) return Math.round(s / 60) + " min ago";
    return Math.round(s / 3600) + " h ago";
  }
  function duration(ms) {
    if (ms === null || ms === undefined) return "–";
    var s = Math.round(ms / 1000);
    return s < 90 ? s + " s" : Math.round(s / 60) + " min";
  }
  function bytes(n) {
    if (!n && n !== 0) return "–";
    var units = ["B", "kB", "MB", "GB"], i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; ++i; }
    return n.toFixed(i ? 1 : 0) + " " + units[i];
  }
  function table(headers, rows, cls) {
    return h("table", {class: cls || ""}, [
      h("thead", {}, [h("tr", {}, headers.map(function (t) { return h("th", {text: t}); }))]),
      h("tbody", {}, rows.map(function (r) {
        return h("tr", {}, r.map(function (c) { return typeof c === "object" && c !== null ? h("td", {}, [c]) : h("td", {text: String(c)}); }));
      }))]);
  }
  function keyValues(pairs) {
    return h("dl", {class: "kv"}, [].concat.apply([], pairs.map(function (p) {
      return [h("dt", {text: p[0]}), typeof p[1] === "object" && p[1] !== null ? h("dd", {}, [p[1]]) : h("dd", {text: String(p[1])})];
    })));
  }
  function unavailable(reply) {
    var b = reply.body || {};
    var text = (reply.status || "no answer") + " " + (b.error || "") + (b.message ? ": " + b.message : "");
    return h("p", {class: "unavailable", text: text});
  }
  function fill(container, nodes) {
    container.textContent = "";
    nodes.forEach(function (n) { if (n) container.appendChild(n); });
    container.setAttribute("data-filled", nodes.length ? "true" : "false");
  }
  function badge(text, kind) { return h("span", {class: "badge " + (kind || text), text: text}); }

  // ---- health ----
  function renderHealth(reply) {
    var box = document.getElementById("health");
    if (reply.status !== 200) return fill(box, [unavailable(reply)]);
    var d = reply.body;
    var status = document.getElementById("service-status");
    status.textContent = d.status;
    status.className = "badge " + d.status;
    document.getElementById("service-meta").textContent =
      d.service + " " + d.version + " · up " + duration(d.uptime * 1000) + " · horizons " +
      (d.horizons ? d.horizons.configured.join(", ") + " (default " + d.horizons["default"] + ")" : "–");
    var problems = d.problems && d.problems.length
      ? h("ul", {class: "problems"}, d.problems.map(function (p) { return h("li", {text: p}); }))
      : h("p", {class: "ok", text: "No problems reported."});
    var pairs = Object.keys(d.pairs || {}).map(function (p) {
      var s = d.pairs[p];
      return [p, s.fresh ? "fresh" : "stale", s.dataPoints, age(s.lastUpdate), s.modelsLoaded + " / " + s.modelsEnabled,
              s.hasPrediction ? "yes" : "no", s.lastError || ""];
    });
    fill(box, [
      keyValues([["upstream", (d.upstream.reachable ? "reachable" : "unreachable") + " (" + d.upstream.url + ")"],
                 ["storage", d.storage.ok ? "ok" : "problem"],
                 ["training", d.training.active + " running, " + d.training.queued + " queued, " + d.training.completed +
                   " done, " + d.training.failed + " failed"]]),
      h("h3", {text: "Reasons"}), problems,
      table(["pair", "data", "candles", "updated", "models", "prediction", "last error"], pairs)]);
    return Object.keys(d.pairs || {});
  }

  // ---- one pair ----
  function pairSection(pair) {
    var id = "pair-" + pair;
    var section = document.getElementById(id);
    if (section) return section;
    section = h("section", {class: "pair", id: id}, [
      h("h2", {text: pair}),
      h("div", {class: "grid"}, [
        h("div", {class: "panel"}, [h("h3", {text: "Prediction"}), h("div", {class: "body prediction"})]),
        h("div", {class: "panel"}, [h("h3", {text: "Ensemble weights"}), h("div", {class: "body ensemble"})]),
        h("div", {class: "panel wide"}, [h("h3", {text: "Models"}), h("div", {class: "body models"})]),
        h("div", {class: "panel"}, [h("h3", {text: "Realised accuracy (ensemble, rolling 50)"}), h("div", {class: "body accuracy-chart"})]),
        h("div", {class: "panel"}, [h("h3", {text: "Volatility: forecast vs realised σ"}), h("div", {class: "body volatility-chart"})])])]);
    document.getElementById("pairs").appendChild(section);
    return section;
  }

  function renderPrediction(box, reply) {
    if (reply.status !== 200) return fill(box, [unavailable(reply)]);
    var a = reply.body, p = a.prediction, v = a.volatility || {};
    var nodes = [
      h("div", {class: "headline"}, [
        h("span", {class: "prob", text: pct(p.prediction)}), " P(up over " + a.horizon + " candles) ",
        badge(p.signal, "signal-" + p.signal), " ", badge("edge: " + (p.edge || "–"), "edge-" + (p.edge || "none"))]),
      keyValues([["direction", p.direction], ["confidence", num(p.confidence)], ["source", p.source || p.type],
                 ["strategy", a.strategy || a.singleModel || "–"], ["stale", a.stale ? "yes" : "no"],
                 ["candle", new Date(p.metadata.dataTimestamp).toISOString()]])];
    if (p.edgeReason) nodes.push(h("p", {class: "reason", text: p.edgeReason}));
    if (v.available) {
      nodes.push(h("h4", {text: "Volatility (" + v.member + ")"}));
      nodes.push(keyValues([
        ["σ of " + v.horizon + "-candle return", pct(v.sigma, 2)],
        ["80 % interval", pct(v.interval80.lower, 2) + " … " + pct(v.interval80.upper, 2)],
        ["as price multiplier", num(v.interval80.lowerMultiplier, 4) + " … " + num(v.interval80.upperMultiplier, 4)],
        ["skill vs EWMA (test)", v.skill && v.skill.vsEwma !== undefined ? num(v.skill.vsEwma) : "–"],
        ["realised coverage", v.realised && v.realised.coverage80 !== undefined ? pct(v.realised.coverage80) +
          " of " + v.realised.count : "–"]]));
    } else {
      nodes.push(h("p", {class: "unavailable", text: "volatility: " + (v.reason || "not available")}));
    }
    fill(box, nodes);
  }

  function renderModels(box, status, compare) {
    if (status.status !== 200) return fill(box, [unavailable(status)]);
    var cmp = compare.status === 200 ? compare.body.models || {} : {};
    var rows = Object.keys(status.body.models).map(function (name) {
      var m = status.body.models[name], c = cmp[name] || {}, r = c.realised || {}, t = m.test || {};
      return [name, badge(m.state, "state-" + m.state), m.version, num(t.brier), pct(t.accuracy), num(t.auc),
              m.edge ? m.edge.edge : "–", r.count ? pct(r.accuracy) + " / " + r.count : "–",
              c.weight !== undefined ? num(c.weight, 2) : "–", m.reason || ""];
    });
    var nodes = [table(["model", "state", "version", "test Brier", "test acc", "test AUC", "edge", "realised acc / n",
                        "vote weight", "reason"], rows, "models-table")];
    var vol = status.body.volatility;
    if (vol) nodes.push(h("p", {class: "reason", text: "volatility model: " + vol.state + (vol.served ? ", serving " +
      vol.served + " v" + vol.version : "") + (vol.reason ? " — " + vol.reason : "")}));
    fill(box, nodes);
  }

  // The weights in force for the enabled members (the configured table also names the others).
  function renderEnsemble(box, reply, enabled) {
    if (reply.status !== 200) return fill(box, [unavailable(reply)]);
    var s = reply.body;
    var names = Object.keys(s.weights).filter(function (k) { return !enabled || enabled.indexOf(k) >= 0; });
    var max = Math.max.apply(null, names.map(function (k) { return s.weights[k]; }).concat([1e-9]));
    var bars = names.map(function (k) {
      return h("div", {class: "bar-row"}, [h("span", {class: "bar-label", text: k}),
        h("span", {class: "bar"}, [h("span", {class: "bar-fill", style: "width:" + (100 * s.weights[k] / max).toFixed(0) + "%"})]),
        h("span", {class: "bar-value", text: num(s.weights[k], 2)})]);
    });
    var e = s.ensemble || {};
    fill(box, [
      keyValues([["strategy", s.strategy], ["weights from", s.weightsSource],
                 ["realised accuracy", e.count ? pct(e.accuracy) + " over " + e.count + " (base rate " + pct(e.baseRate) + ")" : "no outcomes yet"],
                 ["realised Brier", e.count ? num(e.brier) + " (base rate's " + num(e.baselineBrier) + ")" : "–"],
                 ["stacked", s.stacked.fitted ? "fitted" : "not fitted: " + (s.stacked.reason || "")]]),
      h("div", {class: "bars"}, bars),
      h("p", {class: "reason", text: s.weightReason})]);
  }

  function renderAccuracy(box, reply) {
    if (reply.status !== 200) return fill(box, [unavailable(reply)]);
    var rows = reply.body.history.filter(function (r) { return r.outcome !== null; })
      .sort(function (a, b) { return a.dataTimestamp - b.dataTimestamp; });
    var acc = [], base = [], window = 50;
    for (var i = 0; i < rows.length; ++i) {
      var from = Math.max(0, i - window + 1), n = i - from + 1, right = 0, up = 0;
      for (var j = from; j <= i; ++j) { if (rows[j].correct) ++right; if (rows[j].outcome === "up") ++up; }
      if (n >= 10) { acc.push([rows[i].dataTimestamp, right / n]); base.push([rows[i].dataTimestamp, up / n]); }
    }
    fill(box, [TbmlCharts.lineChart([
      {name: "ensemble accuracy", colour: "#2a6fdb", points: acc},
      {name: "share of up moves", colour: "#999", points: base, dashed: true}],
      {yMin: 0, yMax: 1, yFormat: function (v) { return (v * 100).toFixed(0) + "%"; },
       empty: rows.length + " resolved predictions so far (10 needed)"}),
      h("p", {class: "meta", text: rows.length + " resolved of " + reply.body.count + " stored predictions"})]);
  }

  function renderVolatility(box, reply) {
    if (reply.status !== 200) return fill(box, [unavailable(reply)]);
    var rows = reply.body.history.slice().sort(function (a, b) { return a.dataTimestamp - b.dataTimestamp; });
    var forecast = rows.map(function (r) { return [r.dataTimestamp, r.sigma]; });
    var ewma = rows.map(function (r) { return [r.dataTimestamp, Math.sqrt(Math.max(0, r.ewmaVariance))]; });
    var realised = rows.filter(function (r) { return r.realisedVariance !== null; })
      .map(function (r) { return [r.dataTimestamp, Math.sqrt(Math.max(0, r.realisedVariance))]; });
    fill(box, [TbmlCharts.lineChart([
      {name: "forecast σ", colour: "#d9822b", points: forecast, width: 2},
      {name: "EWMA σ", colour: "#999", points: ewma, dashed: true},
      {name: "realised σ", colour: "#2a6fdb", points: realised, dots: true}],
      {yMin: 0, yFormat: function (v) { return (v * 100).toFixed(1) + "%"; }, empty: "no volatility forecasts stored yet"}),
      h("p", {class: "meta", text: realised.length + " realised of " + rows.length + " forecasts"})]);
  }

  function refreshPair(pair, horizon) {
    var section = pairSection(pair);
    var q = "?horizon=" + horizon;
    var enc = encodeURIComponent(pair);
    return Promise.all([
      get("/api/predictions/" + enc + q), get("/api/models/" + enc + "/status" + q), get("/api/models/" + enc + "/compare" + q),
      get("/api/ensemble/" + enc + "/stats" + q), get("/api/predictions/" + enc + "/history" + q + "&model=ensemble&limit=1000"),
      get("/api/volatility/" + enc + "/history" + q + "&limit=500")
    ]).then(function (r) {
      renderPrediction(section.querySelector(".prediction"), r[0]);
      renderModels(section.querySelector(".models"), r[1], r[2]);
      renderEnsemble(section.querySelector(".ensemble"), r[3], r[1].status === 200 ? r[1].body.enabledModels : null);
      renderAccuracy(section.querySelector(".accuracy-chart"), r[4]);
      renderVolatility(section.querySelector(".volatility-chart"), r[5]);
    });
  }

  // ---- queue and storage ----
  function jobRow(j) {
    var p = j.progress || {};
    var progress = "–";
    if (j.status === "running" && p.epochs) {
      progress = h("span", {class: "progress"}, [
        h("span", {class: "bar"}, [h("span", {class: "bar-fill", style: "width:" + (100 * p.epoch / p.epochs).toFixed(0) + "%"})]),
        " " + p.epoch + " / " + p.epochs + (p.trainLoss !== undefined && p.trainLoss !== null ? " · loss " + num(p.trainLoss, 4) : "") +
        (p.valLoss !== null && p.valLoss !== undefined ? " · val " + num(p.valLoss, 4) : "") +
        (p.etaMs !== undefined && p.etaMs !== null ? " · ETA " + duration(p.etaMs) : "")]);
    } else if (p.epoch) {
      progress = p.epoch + " / " + p.epochs;
    }
    return [j.id, j.pair, j.modelType, j.horizon, badge(j.status, "job-" + j.status), j.reason, progress,
            (j.message || "").slice(0, 140)];
  }
  function renderQueue(reply) {
    var box = document.getElementById("queue");
    if (reply.status !== 200) return fill(box, [unavailable(reply)]);
    var q = reply.body, s = q.summary;
    var jobs = q.active.concat(q.queued, q.recent.slice(0, 8));
    fill(box, [
      h("p", {text: s.active + " running, " + s.queued + " queued, " + s.completed + " completed, " + s.failed +
        " failed, " + s.cancelled + " cancelled"}),
      jobs.length ? table(["job", "pair", "model", "h", "status", "reason", "progress", "message"], jobs.map(jobRow), "jobs")
                  : h("p", {text: "No jobs yet."})]);
  }
  function renderStorage(reply) {
    var box = document.getElementById("storage");
    if (reply.status !== 200) return fill(box, [unavailable(reply)]);
    var s = reply.body, db = s.database, c = db.counts;
    var pairs = Object.keys(db.pairs).map(function (p) {
      var x = db.pairs[p];
      return [p, x.candles, x.predictions, x.resolvedPredictions, x.volatilityForecasts, x.trainingRuns];
    });
    fill(box, [
      keyValues([["folder", s.baseDir], ["database", bytes(db.databaseBytes) + " + WAL " + bytes(db.walBytes)],
                 ["models", s.models.count + " (" + bytes(s.models.bytes) + ")"],
                 ["rows", Object.keys(c).map(function (k) { return k + " " + c[k]; }).join(", ")],
                 ["writer", (s.health.healthy ? "healthy" : "unhealthy: " + (s.health.reason || s.health.lastError)) +
                   ", " + s.health.queueDepth + " queued"]]),
      table(["pair", "candles", "predictions", "resolved", "volatility forecasts", "training runs"], pairs)]);
  }

  function refresh() {
    return get("/api/health").then(function (health) {
      var pairs = renderHealth(health) || [];
      var horizon = health.body && health.body.horizons ? health.body.horizons["default"] : 5;
      return Promise.all(pairs.map(function (p) { return refreshPair(p, horizon); }).concat([
        get("/api/training/queue").then(renderQueue), get("/api/storage/stats").then(renderStorage)]));
    }).then(function () {
      ++refreshes;
      document.body.setAttribute("data-state", "ready");
      document.body.setAttribute("data-refreshes", String(refreshes));
      document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
    }).catch(function (err) { tbmlReportError("refresh failed: " + (err && err.stack ? err.stack : err)); })
      .then(function () { setTimeout(refresh, REFRESH_MS); });
  }

  document.getElementById("refresh-seconds").textContent = String(REFRESH_MS / 1000);
  refresh();
})();
