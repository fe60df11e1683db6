/* Live capture page (templates/capture.html): pairing code, status, biofeedback.
 *
 * Loaded as a file, so the app's CSP (script-src 'self') needs no exception.
 * Talks only to this origin with the browser's cookie: the capture blueprint
 * for the pairing code (POST, anti-forgery token in X-CSRF-Token, launch in
 * X-Fpcds-Launch) and the biofeedback event stream (launch in the query);
 * the capture step's JSON status, polled every 2 s. The last pairing code is
 * kept in sessionStorage until it is used or expires, so a reload shows it.
 * Values from the capture agent are only ever written as text.
 */
(function () {
  "use strict";

  var root = document.getElementById("live-capture");
  if (!root) {
    return;
  }
  var cfg = root.dataset;
  var POLL_MS = 2000;
  var EVENT_PHASES = ["code", "paired", "uploading"];
  var REGIONS = ["brow", "eye", "mouth", "overall"];
  var storageKey = "fpcds-pairing-" + cfg.capture;
  var events = null;
  var pollTimer = null;
  var expiryTimer = null;
  var stopped = false;
  var scaleUv = 20; // EMG value drawn at full bar width; follows the signal's peak
  var emgRows = {};

  function byId(id) {
    return document.getElementById(id);
  }

  function setText(id, text) {
    var node = byId(id);
    if (node.textContent !== text) {
      node.textContent = text;
    }
  }

  function requestProblem(text) {
    setText("request-problem", text || "");
    byId("request-problem").hidden = !text;
  }

  // ------------------------------------------------------------------ pairing code
  function remember(code) {
    try {
      sessionStorage.setItem(storageKey, JSON.stringify({code: code.code, expires_at: code.expires_at}));
    } catch (e) { /* storage refused (iframe policy): the code stays on screen until the page is left */ }
  }

  function recalled() {
    try {
      return JSON.parse(sessionStorage.getItem(storageKey) || "null");
    } catch (e) {
      return null;
    }
  }

  function forget() {
    try {
      sessionStorage.removeItem(storageKey);
    } catch (e) { /* nothing stored */ }
  }

  function showCode(code) {
    var box = byId("code-box");
    var until = Date.parse(code.expires_at);
    var at = new Date(until).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
    setText("pairing-code", code.code);
    box.hidden = false;
    clearInterval(expiryTimer);
    function tick() {
      var left = Math.round((until - Date.now()) / 1000);
      if (left <= 0) {
        box.classList.add("expired");
        setText("pairing-expiry", "expired, create a new code");
        clearInterval(expiryTimer);
        forget();
        return;
      }
      box.classList.remove("expired");
      setText("pairing-expiry", "valid once, for " + Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0") +
              " (until " + at + ")");
    }
    tick();
    expiryTimer = setInterval(tick, 1000);
  }

  function hideCode() {
    clearInterval(expiryTimer);
    byId("code-box").hidden = true;
    forget();
  }

  function requestCode() {
    var button = byId("pair-button");
    button.disabled = true;
    fetch(cfg.pairingUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRF-Token": cfg.csrf, "X-Fpcds-Launch": cfg.launch}
    }).then(function (response) {
      return response.json().then(function (body) {
        return {ok: response.ok, body: body};
      }, function () {
        return {ok: false, body: {error: "fpcds answered " + response.status}};
      });
    }).then(function (result) {
      if (!result.ok) {
        requestProblem("No pairing code: " + (result.body.error || "refused"));
        return;
      }
      requestProblem("");
      remember(result.body);
      showCode(result.body);
      poll();
    }).catch(function () {
      requestProblem("fpcds cannot be reached; check the network and try again");
    }).then(function () {
      button.disabled = false;
    });
  }

  // ---------------------------------------------------------------------- status
  function render(s) {
    root.dataset.phase = s.phase;
    setText("agent-status", s.agent_text);
    setText("upload-status", s.upload_text);
    setText("pairing-text", s.pairing_text);
    var progress = byId("upload-progress");
    progress.hidden = !s.upload;
    if (s.upload) {
      progress.max = s.upload.size;
      progress.value = s.upload.received;
    }
    setText("capture-problem", s.error || "");
    byId("capture-problem").hidden = !s.error;
    byId("retry-form").hidden = !s.error;
    var pending = s.pairing && s.pairing.state === "pending";
    var code = recalled();
    if (pending && code && byId("code-box").hidden) {
      showCode(code);
    } else if (!pending && !byId("code-box").hidden) {
      hideCode();
    }
    byId("pair-button").textContent = s.pairing ? "Create a new pairing code" : "Create pairing code";
    byId("pair-button").disabled = s.state !== "waiting";
    if (EVENT_PHASES.indexOf(s.phase) >= 0) {
      openEvents();
    } else {
      closeEvents();
    }
    if (s.assessment_url) {
      stopped = true;
      hideCode();
      setText("bf-state", "The recording is attached; opening its summary.");
      window.location.assign(s.assessment_url);
    }
  }

  function poll() {
    clearTimeout(pollTimer);
    if (stopped) {
      return;
    }
    fetch(cfg.statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}}).then(function (r) {
      if (r.status === 404) {
        stopped = true;
        closeEvents();
        requestProblem("This fpcds window is no longer open for this patient; open fpcds again from the " +
                       "patient's chart. Nothing is lost.");
        return null;
      }
      if (!r.ok) {
        throw new Error("status " + r.status);
      }
      return r.json();
    }).then(function (s) {
      if (s) {
        requestProblem("");
        render(s);
      }
    }).catch(function () {
      requestProblem("Lost contact with fpcds; trying again.");
    }).then(function () {
      if (!stopped) {
        pollTimer = setTimeout(poll, POLL_MS);
      }
    });
  }

  // ----------------------------------------------------------------- biofeedback
  function feedState(text, kind) {
    var node = byId("bf-state");
    setText("bf-state", text);
    node.className = kind || "muted";
  }

  function openEvents() {
    if (events) {
      return;
    }
    events = new EventSource(cfg.eventsUrl);
    events.addEventListener("open", function () {
      feedState("Connected; waiting for the capture agent's first frame.", "muted");
    });
    events.addEventListener("biofeedback", function (e) {
      var frame;
      try {
        frame = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      drawFrame(frame);
    });
    events.addEventListener("error", function () {
      if (events && events.readyState === EventSource.CLOSED) {
        events = null; // refused or ended: the next status poll opens a new stream
      }
      feedState("Biofeedback interrupted; reconnecting.", "warn");
    });
  }

  function closeEvents() {
    if (events) {
      events.close();
      events = null;
    }
  }

  function cell(row, className, text) {
    var td = document.createElement("td");
    td.className = className;
    if (text !== undefined) {
      td.textContent = text;
    }
    row.appendChild(td);
    return td;
  }

  function barCell(row, side) {
    var td = cell(row, "");
    var bar = document.createElement("div");
    var fill = document.createElement("span");
    bar.className = "bar " + side;
    fill.className = "fill";
    bar.appendChild(fill);
    td.appendChild(bar);
    return fill;
  }

  function emgRow(muscle) {
    if (emgRows[muscle]) {
      return emgRows[muscle];
    }
    var tr = document.createElement("tr");
    tr.dataset.muscle = muscle;
    var th = document.createElement("th");
    th.textContent = muscle.replace(/_/g, " ");
    tr.appendChild(th);
    var row = {tr: tr, leftBar: barCell(tr, "left"), left: cell(tr, "num left-uv"), right: cell(tr, "num right-uv")};
    row.rightBar = barCell(tr, "right");
    row.asym = cell(tr, "num asymmetry");
    byId("bf-emg").tBodies[0].appendChild(tr);
    emgRows[muscle] = row;
    return row;
  }

  function setWidth(fill, fraction) {
    var clamped = Math.max(0, Math.min(1, Number(fraction) || 0));
    fill.style.width = (100 * clamped).toFixed(1) + "%"; // CSSOM, allowed by style-src 'self'
  }

  function num(value, digits) {
    return typeof value === "number" && isFinite(value) ? value.toFixed(digits) : "–";
  }

  function drawFrame(f) {
    var stale = Array.isArray(f.stale) ? f.stale : [];
    var emg = Array.isArray(f.emg) ? f.emg : [];
    feedState("Live, t = " + num(f.t, 1) + " s" + (stale.length ? "; no recent data from: " + stale.join(", ") : ""),
              stale.length ? "warn" : "live");
    var peak = 0;
    emg.forEach(function (m) {
      peak = Math.max(peak, Number(m.left_uv) || 0, Number(m.right_uv) || 0);
    });
    scaleUv = Math.max(peak * 1.1, scaleUv * 0.98, 5);
    emg.forEach(function (m) {
      var row = emgRow(String(m.muscle));
      row.tr.classList.toggle("stale", stale.indexOf("emg") >= 0);
      setWidth(row.leftBar, m.left_uv / scaleUv);
      setWidth(row.rightBar, m.right_uv / scaleUv);
      row.left.textContent = num(m.left_uv, 1);
      row.right.textContent = num(m.right_uv, 1);
      row.asym.textContent = num(m.asymmetry_pct, 0) + " %";
    });
    var symmetry = f.symmetry && typeof f.symmetry === "object" ? f.symmetry : null;
    REGIONS.forEach(function (region) {
      var tr = byId("bf-symmetry").querySelector('tr[data-region="' + region + '"]');
      var value = symmetry ? symmetry[region] : null;
      setWidth(tr.querySelector(".fill"), value);
      tr.querySelector(".value").textContent = symmetry ? num(value, 2) : "no face";
      tr.classList.toggle("stale", !symmetry || stale.indexOf("motion") >= 0);
    });
  }

  byId("pair-button").addEventListener("click", requestCode);
  poll();
}());
