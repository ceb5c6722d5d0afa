"use strict";
/* The status page: GET api/v1/status every REFRESH_MS and draw it with DOM
 * calls only (no HTML from strings: the CSP forbids it). Elements carry
 * data- attributes naming what they show, for scripts and tests. */
(function () {
  const REFRESH_MS = 2000;
  const WHY = {
    "answering": "healthy endpoints answer",
    "fail-open": "every endpoint is down: failing open, the endpoints not drained answer anyway",
    "fail-closed": "every endpoint is down: failing closed, no answer (NODATA)",
    "fallback": "every endpoint is down: the fallback answers",
    "none": "no endpoint may answer"
  };
  const TONE = { "answering": "ok", "fail-open": "bad", "fail-closed": "bad",
                 "fallback": "warn", "none": "bad", "up": "ok", "down": "bad",
                 "checking": "warn" };
  let lastOk = 0;

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === "class") e.className = v; else e.setAttribute(k, String(v));
    }
    for (const c of children) {
      if (c === undefined || c === null || c === false) continue;
      e.append(typeof c === "string" || typeof c === "number" ? String(c) : c);
    }
    return e;
  }

  function badge(text, tone, attrs) {
    return el("span", Object.assign({ class: "badge " + (tone || "") }, attrs || {}), text);
  }

  function when(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString();
  }

  function ago(iso) {
    if (!iso) return "";
    const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    if (s < 90) return s + " s ago";
    if (s < 5400) return Math.round(s / 60) + " min ago";
    return Math.round(s / 3600) + " h ago";
  }

  function until(iso) { return iso ? " until " + when(iso) : ""; }

  /* Per address family (or one line for name profiles): who answers, the
   * status, and why. */
  function answerLines(p) {
    const a = p.answering || {};
    const fams = p.kind === "addresses" ? [["IPv4", "ipv4_", a.ipv4], ["IPv6", "ipv6_", a.ipv6]]
                                        : [[null, "", a.endpoint]];
    return fams.map(([label, pre, who]) => {
      const status = a[pre + "status"] || "none";
      return el("div", { class: "answer", "data-family": label || "any" },
        label ? label + ": " : "", "answering now: ",
        el("strong", { "data-answering": who || "" }, who || "nobody"), " ",
        badge(status, TONE[status], { "data-status": status }),
        el("div", { class: "why muted" }, WHY[status] || status));
    });
  }

  function overrideItems(p) {
    const items = [];
    if (p.switchover) {
      items.push(el("li", { "data-override": "switchover" }, "switchover to ",
        el("strong", {}, p.switchover), " by " + p.switchover_by + until(p.switchover_until)));
    }
    for (const e of p.endpoints || []) {
      if (e.drained) {
        items.push(el("li", { "data-override": "drain" }, el("strong", {}, e.name),
          " drained by " + e.drained_by));
      }
      if (e.forced) {
        items.push(el("li", { "data-override": "force" }, el("strong", {}, e.name),
          " forced " + e.forced + " by " + e.forced_by + until(e.forced_until)));
      }
    }
    return items;
  }

  function historyDots(e) {
    const dots = el("span", { class: "dots" });
    for (const h of (e.history || []).slice().reverse()) {
      dots.append(el("span", {
        class: "dot" + (h.ok ? "" : " fail"),
        title: when(h.time) + ": " + h.reason + " (" + h.latency_ms + " ms)"
      }));
    }
    return dots;
  }

  function stateCell(e) {
    const td = el("td", { "data-label": "state" },
      badge(e.state, TONE[e.state], { "data-state": e.state }));
    if (e.forced) td.append(" ", badge("forced " + e.forced, "warn"));
    if (e.drained) td.append(" ", badge("drained", "warn"));
    if (e.held) td.append(" ", badge("held down", "warn"));
    if (e.fleet) td.append(" ", badge("fleet: " + e.fleet.verdict + " (" + e.fleet.up + "/" +
                                      e.fleet.reporting + ")", TONE[e.fleet.verdict]));
    if (e.since) td.append(el("div", { class: "muted" }, "since " + ago(e.since)));
    return td;
  }

  function endpointRow(e) {
    const lat = e.latency_ms === null || e.latency_ms === undefined ? "" : e.latency_ms + " ms";
    const routing = [];
    if (e.priority !== null && e.priority !== undefined) routing.push("priority " + e.priority);
    if (e.weight !== undefined) routing.push("weight " + e.weight + " (" +
                                             Number(e.share_percent).toFixed(1) + "% now)");
    if (e.nested) routing.push("pool " + e.nested);
    return el("tr", { "data-endpoint": e.name, "data-state": e.state },
      el("td", { "data-label": "endpoint" }, el("strong", {}, e.name),
        e.answers_now ? " " : null, e.answers_now ? badge("answers", "ok") : null,
        el("div", { class: "muted" }, e.target)),
      stateCell(e),
      el("td", { "data-label": "last result" }, e.reason || "",
        el("div", { class: "muted" }, e.monitor + (routing.length ? ", " + routing.join(", ") : ""))),
      el("td", { "data-label": "latency" }, lat),
      el("td", { "data-label": "last results" }, historyDots(e)));
  }

  function profileCard(p) {
    const overrides = overrideItems(p);
    const head = el("tr", {}, ...["endpoint", "state", "last result", "latency", "last results"]
      .map((h) => el("th", { scope: "col" }, h)));
    return el("article", { "data-profile": p.name },
      el("header", {}, el("h2", {}, p.name),
        el("span", { class: "muted" }, p.method + " · " + (p.kind === "addresses" ? "addresses" :
          "names") + " · ttl " + p.ttl + " s · zone " + p.zone)),
      ...answerLines(p),
      overrides.length ? el("ul", { class: "overrides" }, ...overrides) : null,
      el("table", {}, el("thead", {}, head),
        el("tbody", {}, ...(p.endpoints || []).map(endpointRow))));
  }

  function fleetSection(f) {
    const box = document.getElementById("fleet");
    if (!f) { box.hidden = true; box.replaceChildren(); return; }
    const rows = (f.nodes || []).map((n) => el("tr", { "data-node": n.node },
      el("td", { "data-label": "node" }, n.node),
      el("td", { "data-label": "reachable" },
        badge(n.reachable ? "reachable" : "unreachable", n.reachable ? "ok" : "bad")),
      el("td", { "data-label": "heard" }, Math.round(n.heard_ms_ago / 1000) + " s ago"),
      el("td", { "data-label": "configuration" },
        n.config_differs ? badge("differs", "bad") : "same")));
    box.replaceChildren(
      el("h2", {}, "Fleet " + f.fleet + " — this node: " + f.node),
      el("p", {}, f.connected ? badge("connected", "ok") : badge("not connected", "bad"), " ",
        f.server || "", f.connected && !f.synced ? " (not synced yet)" : "",
        f.last_error ? el("span", { class: "muted" }, " last error: " + f.last_error) : null),
      rows.length ? el("table", {}, el("tbody", {}, ...rows)) : el("p", { class: "muted" },
        "No other node heard yet."),
      (f.local_only || []).length ? el("p", {}, badge("local-only overrides", "warn"), " " +
        f.local_only.join(", ")) : null);
    box.hidden = false;
  }

  function summary(st) {
    const profiles = st.profiles || [];
    let eps = 0, down = 0, trouble = 0;
    for (const p of profiles) {
      for (const e of p.endpoints || []) { eps++; if (e.state === "down") down++; }
      const a = p.answering || {};
      if ([a.status, a.ipv4_status, a.ipv6_status].some((s) => s && s !== "answering")) trouble++;
    }
    const n = (k, word) => k + " " + word + (k === 1 ? "" : "s");
    return n(profiles.length, "profile") + ", " + n(eps, "endpoint") + ": " + down + " down; " +
      (trouble ? trouble + " profile" + (trouble > 1 ? "s" : "") + " not answering normally"
               : "every profile answering normally") +
      ". Probes in flight: " + ((st.probes || {}).in_flight || 0) + ".";
  }

  function draw(st) {
    document.getElementById("summary").textContent = summary(st);
    fleetSection(st.fleet);
    document.getElementById("profiles").replaceChildren(...(st.profiles || []).map(profileCard));
    document.getElementById("updated").textContent = "Updated " + new Date().toLocaleTimeString();
  }

  function problem(text) {
    const p = document.getElementById("problem");
    p.textContent = text;
    p.hidden = !text;
  }

  async function refresh() {
    try {
      const r = await fetch("api/v1/status", { cache: "no-store", headers: { Accept: "application/json" } });
      const body = await r.json();
      if (!r.ok || !body.ok) throw new Error(body.error || ("HTTP " + r.status));
      draw(body.status);
      lastOk = Date.now();
      problem("");
    } catch (err) {
      problem("Cannot get the status: " + err.message +
              (lastOk ? " (what is shown is from " + new Date(lastOk).toLocaleTimeString() + ")" : ""));
    } finally {
      setTimeout(refresh, REFRESH_MS);
    }
  }

  refresh();
})();
