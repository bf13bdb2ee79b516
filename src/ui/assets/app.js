// rand-guard dashboard: live records, alerts, process view and health from
// the sensor's read-only API (src/ui). Plain JS, no dependencies.
//
// Record data is attacker-controlled (file names, argv, comm): it reaches the
// DOM only through textContent, title and data-* properties, never as markup.
"use strict";

(() => {
  // ------------------------------------------------------------ settings

  const BUFFER_MAX = 5000; // records kept in memory for filtering
  const ROWS_MAX = 2000; // rows in the stream table
  const ALERTS_MAX = 1000; // alerts kept for the alerts view
  const CHART_SECONDS = 120; // chart window
  const FLUSH_MS = 100; // how often new records are drawn, at most
  const FLUSH_MAX_MS = 3000; // ... and at least, however busy the page is
  const SEVERITIES = ["info", "low", "medium", "high", "critical"];

  // ------------------------------------------------------------ token

  // The token arrives as ?token= on the page URL. Keep it in memory and in
  // sessionStorage (this tab only), and take it out of the address bar
  // (history, screenshots, shoulder surfing).
  const TOKEN_KEY = "rand-guard-token";
  const RETRY_KEY = "rand-guard-token-retried";
  const store = {
    get: (k) => {
      try {
        return sessionStorage.getItem(k);
      } catch {
        return null; // storage disabled: memory only
      }
    },
    set: (k, v) => {
      try {
        if (v === null) sessionStorage.removeItem(k);
        else sessionStorage.setItem(k, v);
      } catch {
        /* storage disabled */
      }
    },
  };

  // Loaded by something other than the dashboard (a server's 401 page after
  // a reload of the stripped URL): go back once with the stored token.
  if (!document.getElementById("record-body")) {
    const t = store.get(TOKEN_KEY);
    if (t && !store.get(RETRY_KEY)) {
      store.set(RETRY_KEY, "1");
      window.location.replace(`/?token=${encodeURIComponent(t)}`);
    } else {
      store.set(TOKEN_KEY, null); // refused: the sensor restarted with another token
    }
    return;
  }
  store.set(RETRY_KEY, null);

  const token = (() => {
    const url = new URL(window.location.href);
    const t = url.searchParams.get("token");
    if (!t) return store.get(TOKEN_KEY) || "";
    store.set(TOKEN_KEY, t);
    url.searchParams.delete("token");
    history.replaceState(history.state, "", url.pathname + url.search + url.hash);
    return t;
  })();

  const api = (path) => `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`;

  // ------------------------------------------------------------ DOM helpers

  const $ = (id) => document.getElementById(id);

  /** createElement with a class, text and attributes; children appended. */
  function el(tag, opts, ...children) {
    const e = document.createElement(tag);
    if (opts) {
      if (opts.cls) e.className = opts.cls;
      if (opts.text !== undefined && opts.text !== null) e.textContent = String(opts.text);
      if (opts.title) e.title = String(opts.title);
      if (opts.attrs) for (const [k, v] of Object.entries(opts.attrs)) e.setAttribute(k, String(v));
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }

  function td(text, cls) {
    const s = text === null || text === undefined ? "" : String(text);
    return el("td", { cls, text: s, title: s.length > 40 ? s : undefined });
  }

  /** A clickable pid: opens the process view (one delegated handler). */
  function pidLink(pid) {
    if (pid === null || pid === undefined || pid === "") return document.createTextNode("");
    return el("button", {
      cls: "pid-link",
      text: pid,
      title: `process ${pid}`,
      attrs: { type: "button", "data-testid": "pid-link", "data-pid": pid },
    });
  }

  function tdPid(pid) {
    return el("td", { cls: "c-pid" }, pidLink(pid));
  }

  function sevBadge(sev) {
    const s = SEVERITIES.includes(sev) ? sev : "info";
    return el("span", { cls: `sev sev-${s}`, text: sev || "?", attrs: { "data-testid": "severity" } });
  }

  /** "2026-11-22T10:24:56.792162457Z" -> "10:24:56.792" */
  function shortTime(ts) {
    if (typeof ts !== "string") return "";
    const m = /T(\d\d:\d\d:\d\d)(\.\d{1,3})?/.exec(ts);
    return m ? m[1] + (m[2] || "") : ts;
  }

  function fmtNum(n) {
    return typeof n === "number" ? n.toLocaleString("en-US") : n === undefined || n === null ? "–" : String(n);
  }

  function fmtDuration(secs) {
    if (typeof secs !== "number") return "–";
    const d = Math.floor(secs / 86400);
    const h = Math.floor((secs % 86400) / 3600);
    const m = Math.floor((secs % 3600) / 60);
    const s = Math.floor(secs % 60);
    return (d ? `${d}d ` : "") + (d || h ? `${h}h ` : "") + (d || h || m ? `${m}m ` : "") + `${s}s`;
  }

  function pretty(v) {
    try {
      return JSON.stringify(v, null, 2);
    } catch {
      return String(v);
    }
  }

  /** argv joined for display; arguments with blanks or nothing are quoted. */
  function argvText(args) {
    if (!Array.isArray(args)) return "";
    return args.map((a) => (typeof a === "string" && a !== "" && !/[\s"']/.test(a) ? a : JSON.stringify(a))).join(" ");
  }

  /** The one-line "detail" column of a record or alert. */
  function detail(r) {
    const t = r.event_type || "";
    const uring = (x) =>
      x.io_uring_op ? `  via ${x.io_uring_op}${x.result_unknown ? " (sent at submission: result unknown)" : ""}` : "";
    const addr = (a, p) => (a === undefined || a === null ? "" : String(a).includes(":") ? `[${a}]:${p}` : `${a}:${p}`);
    switch (t) {
      case "alert": {
        const m = matched(r);
        return `${r.rule_id || ""} ${r.rule_name || ""}${m ? " — " + m : ""}`;
      }
      case "process_exec": {
        let d = (argvText(r.args) || r.filename || "") + (r.args_truncated ? " …(truncated)" : "");
        if (r.script) d += `  [script ${r.script}]`;
        if (r.privilege_change === true) {
          const caps = (r.caps_gained || []).length ? ` +${r.caps_gained.length} caps` : "";
          d += `  [privilege change: euid ${r.old_euid}→${r.euid}, egid ${r.old_egid}→${r.egid}${caps}]`;
        }
        return d;
      }
      case "process_fork":
        return `forked from ${r.ppid}`;
      case "process_exit":
        return r.signal !== null && r.signal !== undefined
          ? `exit ${r.exit_code} (signal ${r.signal})`
          : `exit ${r.exit_code}`;
      case "process_ptrace": {
        const who = r.target_exe || r.target_comm;
        return `${r.request || "request " + r.request_code} → pid ${r.target_pid}${who ? " (" + who + ")" : ""}`;
      }
      case "process_signal": {
        const who = r.target_exe || r.target_comm;
        const sig = r.signal_name || `signal ${r.signal}`;
        return `${sig} → ${r.target_pid === null ? "?" : "pid " + r.target_pid}${who ? " (" + who + ")" : ""}`;
      }
      case "process_setuid": {
        const ids = (names) => names
          .filter((k) => r["old_" + k] !== null && r["old_" + k] !== undefined && r["old_" + k] !== r["new_" + k])
          .map((k) => `${k} ${r["old_" + k]}→${r["new_" + k]}`);
        const parts = ids(["uid", "euid", "suid", "fsuid", "gid", "egid", "sgid", "fsgid"]);
        if (r.group_count !== null && r.group_count !== undefined)
          parts.push(`${r.group_count} groups [${(r.groups || []).join(",")}]`);
        if (Array.isArray(r.cap_effective))
          parts.push(`effective [${r.cap_effective.join(" ")}]`);
        return `${r.syscall}: ${parts.join(", ")}`;
      }
      case "process_memfd":
        return `memfd "${r.memfd_name}"${(r.flags || []).length ? "  [" + r.flags.join(" ") + "]" : ""} → fd ${r.fd}`;
      case "process_inject": {
        const who = r.target_exe || r.target_comm;
        return `${r.bytes} bytes → pid ${r.target_pid}${who ? " (" + who + ")" : ""}`;
      }
      case "bpf_load":
        return r.bpf_cmd === "BPF_PROG_LOAD"
          ? `${r.bpf_cmd} ${r.prog_type || "?"} "${r.prog_name || ""}" (${r.insn_count} insns)`
          : `${r.bpf_cmd} ${r.attach_type || "?"} prog fd ${r.prog_fd}`;
      case "process_namespace": {
        const ns = (r.namespaces || []).join(" ");
        if (r.syscall === "setns") {
          const into = r.target_pid !== null && r.target_pid !== undefined
            ? `pid ${r.target_pid}${r.target_exe ? " (" + r.target_exe + ")" : ""}`
            : `${r.ns_type || "?"}:[${r.ns_inode}]${r.ns_initial ? " (host)" : ""}`;
          return `setns [${ns}] → ${into}`;
        }
        return `${r.syscall} [${ns}]${r.child_pid ? " → child " + r.child_pid : ""}`;
      }
      case "file_mount": {
        const flags = (r.flags || []).length ? "  [" + r.flags.join(" ") + "]" : "";
        const src = r.source ? r.source + (r.source_detached ? " (detached)" : "") : "";
        const fs = r.fstype ? ` (${r.fstype})` : "";
        return `${r.syscall} ${src}${src && r.target ? " → " : ""}${r.target || ""}${fs}${flags}`;
      }
      case "process_io_uring":
        return `io_uring ${r.sq_entries}/${r.cq_entries} entries${(r.flags || []).length ? "  [" + r.flags.join(" ") + "]" : ""}${r.fd === null ? "" : " → fd " + r.fd}`;
      case "file_open":
        return `${r.path || ""}${r.access ? "  [" + r.access + "]" : ""}${uring(r)}`;
      case "file_write":
        return `${r.path || ""}${r.bytes !== undefined ? "  (" + r.bytes + " bytes)" : ""}${uring(r)}`;
      case "file_rename":
        return `${r.path || ""} ${r.exchange ? "⇄" : "→"} ${r.new_path || ""}${uring(r)}`;
      case "file_unlink":
        return `${r.path || ""}${r.is_dir ? "  (dir)" : ""}${uring(r)}`;
      case "file_chmod": {
        const bits = ["setuid", "setgid", "sticky"].filter((b) => r[b]);
        const mode = typeof r.mode === "number" ? "0" + r.mode.toString(8) : "?";
        return `${r.path || ""}  mode ${mode}${bits.length ? " (" + bits.join(", ") + ")" : ""}`;
      }
      case "file_chown": {
        const id = (v) => (v === null || v === undefined ? "-" : v);
        return `${r.path || ""}  owner ${id(r.owner_uid)}:${id(r.owner_gid)}${r.follow_symlinks === false ? " (link itself)" : ""}`;
      }
      case "file_truncate":
        return `${r.path || ""}  → ${r.length} bytes`;
      case "file_link":
        return r.symlink
          ? `${r.path || ""} ⇢ "${r.target || ""}"  (symlink)${uring(r)}`
          : `${r.path || ""} = ${r.target || ""}  (hard link)${uring(r)}`;
      case "file_utimes": {
        const t = (k) => (r[k + "_set"] === "time" ? r[k] || r[k + "_sec"] + "s" : r[k + "_set"] || "?");
        return `${r.path || ""}  mtime ${t("mtime")}, atime ${t("atime")}`;
      }
      case "file_xattr": {
        const caps = r.file_caps ? "  caps " + (r.cap_permitted ? r.cap_permitted.join(",") || "none" : "?") : "";
        const size = r.value_size !== null && r.value_size !== undefined ? " (" + r.value_size + " bytes)" : "";
        return `${r.path || ""}  ${r.xattr_op} ${r.xattr_name}${size}${caps}`;
      }
      case "network_connect":
        return `→ ${addr(r.remote_addr, r.remote_port)}${r.protocol ? " " + r.protocol : ""}${uring(r)}`;
      case "network_accept":
        return `${addr(r.local_addr, r.local_port)} ← ${addr(r.remote_addr, r.remote_port)}`;
      case "network_bind":
      case "network_listen":
        return `${addr(r.local_addr, r.local_port)}${r.protocol ? " " + r.protocol : ""}`;
      default:
        if (r.path) return r.new_path ? `${r.path} → ${r.new_path}` : r.path;
        if (r.remote_addr) return addr(r.remote_addr, r.remote_port);
        return "";
    }
  }

  /** What an alert matched on: its path, address or command line. */
  function matched(a) {
    if (a.path) return a.new_path ? `${a.path} → ${a.new_path}` : a.path;
    if (a.remote_addr) return `${a.remote_addr}:${a.remote_port}`;
    if (a.local_port !== undefined && a.local_port !== null) return `${a.local_addr || ""}:${a.local_port}`;
    return a.cmdline || "";
  }

  // ------------------------------------------------------------ state

  /** @type {{seq:number, rec:object, source?:object}[]} newest last */
  let buffer = [];
  /** @type {{seq:number, rec:object, source:object|null}[]} newest last */
  let alerts = [];
  let seq = 0;
  let renderedSeq = 0; // highest seq drawn in the stream table
  let paused = false;
  let pending = 0; // matching records that arrived while paused
  let droppedBefore = 0; // records lost on earlier connections of this page
  let droppedNow = 0; // ... and on this one (the server reports a running total)
  let flushTimer = 0;
  let flushCost = 0; // ms the last draw took, layout included
  let alertsRenderedSeq = 0; // highest alert seq drawn in the alerts table
  let selectedRow = null;
  let selectedAlert = null;
  let currentPid = null;

  const filters = { type: "", severity: "", pid: "", name: "", path: "" };

  /** Whether record `r` passes the filters (the alerts view ignores the type). */
  function matchesFilter(r, ignoreType) {
    const f = filters;
    const t = r.event_type || "";
    if (f.type && !ignoreType) {
      if (f.type.endsWith("*") ? !t.startsWith(f.type.slice(0, -1)) : t !== f.type) return false;
    }
    if (f.severity) {
      if (t !== "alert") return false;
      if (SEVERITIES.indexOf(r.severity) < SEVERITIES.indexOf(f.severity)) return false;
    }
    if (f.pid && String(r.pid) !== f.pid) return false;
    if (f.name) {
      const n = f.name.toLowerCase();
      const comm = typeof r.comm === "string" ? r.comm.toLowerCase() : "";
      const exe = typeof r.exe === "string" ? r.exe.toLowerCase() : "";
      if (!comm.includes(n) && !exe.includes(n)) return false;
    }
    if (f.path) {
      const p = f.path;
      const hit = [r.path, r.new_path, r.filename].some((v) => typeof v === "string" && v.includes(p));
      if (!hit) return false;
    }
    return true;
  }

  // ------------------------------------------------------------ stream table

  const recordBody = $("record-body");

  function recordRow(entry) {
    const r = entry.rec;
    const t = String(r.event_type || "");
    const tr = el(
      "tr",
      {
        cls: t === "alert" ? `row-alert sev-row-${SEVERITIES.includes(r.severity) ? r.severity : "info"}` : "",
        attrs: { "data-testid": "record-row", "data-event-type": t, "data-pid": r.pid ?? "", "data-seq": entry.seq },
      },
      td(shortTime(r.timestamp), "c-time mono"),
      el("td", { cls: "c-type" }, el("span", { cls: `type type-${t.split("_")[0]}`, text: t })),
      tdPid(r.pid),
      td(r.comm, "c-comm mono"),
      td(r.exe, "c-exe mono"),
      td(detail(r), "c-detail mono"),
    );
    if (entry === selectedRow) tr.classList.add("selected");
    return tr;
  }

  /** Draws the records that arrived since the last flush, newest on top. */
  function flush() {
    flushTimer = 0;
    const t0 = performance.now();
    drawNewAlerts(); // the alerts view is live even while the stream is paused
    if (paused) return;
    const fresh = [];
    for (let i = buffer.length - 1; i >= 0 && buffer[i].seq > renderedSeq; i--) {
      if (matchesFilter(buffer[i].rec)) {
        fresh.push(buffer[i]);
        if (fresh.length >= ROWS_MAX) break;
      }
    }
    if (buffer.length) renderedSeq = buffer[buffer.length - 1].seq;
    if (fresh.length) {
      const frag = document.createDocumentFragment();
      for (const e of fresh) frag.append(recordRow(e));
      recordBody.prepend(frag);
      while (recordBody.rows.length > ROWS_MAX) recordBody.lastElementChild.remove();
      void recordBody.offsetHeight; // lay out now, so the cost below counts it
    }
    updateSummary();
    flushCost = performance.now() - t0;
  }

  // Under a flood, draw less often so drawing takes at most about a fifth
  // of the page's time: a page that cannot keep up with the stream makes
  // the sensor drop records for it.
  function scheduleFlush() {
    if (!flushTimer) flushTimer = setTimeout(flush, Math.min(FLUSH_MAX_MS, Math.max(FLUSH_MS, 4 * flushCost)));
  }

  /** Redraws the whole table from the buffer (filter change, resume). */
  function rerender() {
    const rows = [];
    for (let i = buffer.length - 1; i >= 0 && rows.length < ROWS_MAX; i--) {
      if (matchesFilter(buffer[i].rec)) rows.push(recordRow(buffer[i]));
    }
    recordBody.replaceChildren(...rows);
    renderedSeq = buffer.length ? buffer[buffer.length - 1].seq : 0;
    updateSummary();
  }

  function updateSummary() {
    const shown = recordBody.rows.length;
    $("stream-summary").textContent = `${fmtNum(shown)} shown · ${fmtNum(buffer.length)} buffered`;
    $("stream-empty").hidden = shown > 0;
    $("stream-empty").textContent = buffer.length ? "No record matches the filters." : "Waiting for records…";
  }

  function push(rec, source) {
    const entry = { seq: ++seq, rec, source };
    buffer.push(entry);
    if (buffer.length > BUFFER_MAX + 500) buffer = buffer.slice(buffer.length - BUFFER_MAX);
    if (paused) {
      if (matchesFilter(rec)) {
        pending++;
        showPending();
      }
    } else {
      scheduleFlush();
    }
    return entry;
  }

  function showPending() {
    const p = $("pending-count");
    p.hidden = !paused;
    p.textContent = `${fmtNum(pending)} new`;
    p.dataset.count = String(pending);
  }

  function setPaused(on) {
    paused = on;
    const b = $("pause-button");
    b.textContent = on ? "Resume" : "Pause";
    b.setAttribute("aria-pressed", String(on));
    b.classList.toggle("btn-on", on);
    document.body.classList.toggle("paused", on);
    if (on) {
      pending = 0;
      if (flushTimer) {
        clearTimeout(flushTimer);
        flushTimer = 0;
      }
    } else {
      rerender();
    }
    showPending();
  }

  function selectRecord(entry, tr) {
    for (const s of recordBody.querySelectorAll("tr.selected")) s.classList.remove("selected");
    selectedRow = entry;
    if (tr) tr.classList.add("selected");
    $("record-json").textContent = entry.source
      ? `${pretty(entry.rec)}\n\nsource record:\n${pretty(entry.source)}`
      : pretty(entry.rec);
    $("record-detail").hidden = false;
  }

  function findEntry(seqNo) {
    // buffer is sorted by seq: binary search
    let lo = 0;
    let hi = buffer.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (buffer[mid].seq === seqNo) return buffer[mid];
      if (buffer[mid].seq < seqNo) lo = mid + 1;
      else hi = mid - 1;
    }
    return null;
  }

  // ------------------------------------------------------------ alerts

  const alertBody = $("alert-body");

  function addAlert(alert, source) {
    const entry = push(alert, source || null);
    alerts.push(entry);
    if (alerts.length > ALERTS_MAX + 100) alerts = alerts.slice(alerts.length - ALERTS_MAX);
    $("alert-count").textContent = fmtNum(alerts.length);
    $("alert-count").classList.toggle("badge-hot", alerts.some((x) => x.rec.severity === "critical" || x.rec.severity === "high"));
    scheduleFlush();
  }

  function alertRow(a) {
    const r = a.rec;
    const tags = Array.isArray(r.tags) ? r.tags : [];
    const risk = typeof r.risk_score === "number" ? r.risk_score.toFixed(2) : "";
    const tr = el(
      "tr",
      {
        cls: `sev-row-${SEVERITIES.includes(r.severity) ? r.severity : "info"}`,
        attrs: {
          "data-testid": "alert-row",
          "data-rule-id": r.rule_id ?? "",
          "data-severity": r.severity ?? "",
          "data-pid": r.pid ?? "",
          "data-seq": a.seq,
        },
      },
      td(shortTime(r.timestamp), "c-time mono"),
      el("td", { cls: "c-sev" }, sevBadge(r.severity)),
      el(
        "td",
        { cls: "c-rule" },
        el("div", { cls: "rule-id mono", text: r.rule_id ?? "" }),
        el("div", { cls: "rule-name", text: r.rule_name ?? "" }),
        el("div", { cls: "tags", attrs: { "data-testid": "alert-tags" } }, ...tags.map((t) => el("span", { cls: "tag", text: t }))),
      ),
      el("td", { cls: "c-risk" }, el("span", { cls: "risk mono", text: risk })),
      tdPid(r.pid),
      td(r.comm, "c-comm mono"),
      td(matched(r), "c-detail mono"),
    );
    if (a === selectedAlert) tr.classList.add("selected");
    return tr;
  }

  /** Redraws the alerts table (filter change, new connection). */
  function renderAlerts() {
    const rows = [];
    for (let i = alerts.length - 1; i >= 0 && rows.length < ROWS_MAX; i--) {
      if (matchesFilter(alerts[i].rec, true)) rows.push(alertRow(alerts[i]));
    }
    alertBody.replaceChildren(...rows);
    alertsRenderedSeq = alerts.length ? alerts[alerts.length - 1].seq : 0;
    alertsSummary();
  }

  /** Puts the alerts that arrived since the last draw on top, leaving the
   *  rows already there (and a click in progress) alone. */
  function drawNewAlerts() {
    const fresh = [];
    for (let i = alerts.length - 1; i >= 0 && alerts[i].seq > alertsRenderedSeq; i--) {
      if (matchesFilter(alerts[i].rec, true)) fresh.push(alertRow(alerts[i]));
    }
    if (!alerts.length || alerts[alerts.length - 1].seq <= alertsRenderedSeq) return;
    alertsRenderedSeq = alerts[alerts.length - 1].seq;
    alertBody.prepend(...fresh);
    while (alertBody.rows.length > ROWS_MAX) alertBody.lastElementChild.remove();
    alertsSummary();
  }

  function alertsSummary() {
    const rows = alertBody.rows.length;
    $("alerts-empty").hidden = rows > 0;
    $("alerts-empty").textContent = alerts.length ? "No alert matches the filters." : "No alerts yet.";
    const counts = {};
    for (const a of alerts) counts[a.rec.severity] = (counts[a.rec.severity] || 0) + 1;
    const sum = $("severity-summary");
    sum.replaceChildren();
    for (const s of SEVERITIES.slice().reverse()) {
      if (counts[s]) sum.append(sevBadge(s), el("span", { cls: "sev-n", text: `${counts[s]}` }));
    }
    if (!alerts.length) sum.append(el("span", { cls: "muted", text: "No alerts received." }));
  }

  function selectAlert(a, tr) {
    for (const s of alertBody.querySelectorAll("tr.selected")) s.classList.remove("selected");
    selectedAlert = a;
    if (tr) tr.classList.add("selected");
    const r = a.rec;
    const title = $("alert-detail-title");
    title.replaceChildren(sevBadge(r.severity), el("span", { text: ` ${r.rule_id ?? ""} — ${r.rule_name ?? ""}` }));
    $("alert-description").textContent = r.description || "";
    $("alert-json").textContent = pretty(r);
    $("alert-source").textContent = a.source ? pretty(a.source) : "(the source record was not kept)";
    $("alert-detail").hidden = false;
  }

  // ------------------------------------------------------------ process view

  async function showProcess(pid) {
    pid = String(pid).trim();
    if (!/^\d+$/.test(pid)) {
      $("process-status").textContent = "A pid is a number.";
      return;
    }
    currentPid = pid;
    selectTab("process");
    $("process-pid").value = pid;
    $("process-status").textContent = `Loading ${pid}…`;
    let data;
    try {
      const res = await fetch(api(`/api/process/${pid}`), { cache: "no-store" });
      if (res.status === 401) throw new Error("token rejected (401)");
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      data = await res.json();
    } catch (e) {
      if (currentPid === pid) $("process-status").textContent = `Could not load process ${pid}: ${e.message}`;
      return;
    }
    if (currentPid !== pid) return; // a later click won
    renderProcess(pid, data);
  }

  function renderProcess(pid, data) {
    const view = $("process-view");
    $("process-in-stream").disabled = false;
    if (!data || !data.found || !data.process) {
      view.hidden = true;
      $("process-status").textContent = `Process ${pid} is not in the sensor's process table (never seen, or evicted).`;
      return;
    }
    const p = data.process;
    view.hidden = false;
    view.dataset.pid = String(p.pid);
    $("process-status").textContent = p.exit_code === null || p.exit_code === undefined ? "running (or exit not seen)" : "exited";
    $("process-title").replaceChildren(
      el("span", { cls: "mono", text: `${p.pid}` }),
      el("span", { text: ` ${p.comm ?? ""}` }),
    );
    const info = $("process-info");
    info.replaceChildren();
    const kv = (k, v, cls, testid) => {
      info.append(el("dt", { text: k }), el("dd", { cls, attrs: testid ? { "data-testid": testid } : undefined }, v));
    };
    const txt = (v) => document.createTextNode(v === null || v === undefined ? "–" : String(v));
    kv("exe", txt(p.exe), "mono", "process-exe");
    kv("cmdline", txt(Array.isArray(p.args) && p.args.length ? argvText(p.args) : p.cmdline), "mono wrap", "process-cmdline");
    kv("ppid", pidLink(p.ppid), "mono", "process-ppid");
    kv("uid", txt(p.uid), "mono");
    kv("first seen", txt(p.first_seen), "mono");
    kv("last seen", txt(p.last_seen), "mono");
    kv("exit code", txt(p.exit_code), "mono", "process-exit-code");

    const anc = $("process-ancestry");
    anc.replaceChildren();
    const chain = Array.isArray(data.ancestry) ? data.ancestry : [];
    if (!chain.length) anc.append(el("li", { cls: "muted", text: "no parent known" }));
    for (const a of chain) {
      anc.append(
        el(
          "li",
          { attrs: { "data-testid": "ancestry-item", "data-pid": a.pid ?? "" } },
          pidLink(a.pid),
          el("span", { cls: "anc-comm", text: ` ${a.comm ?? ""}` }),
          el("div", { cls: "anc-cmd mono", text: a.cmdline || a.exe || "", title: a.exe || "" }),
        ),
      );
    }

    const kids = Array.isArray(data.children) ? data.children : [];
    $("process-children-count").textContent = `(${kids.length})`;
    $("process-children").replaceChildren(
      ...kids.map((c) =>
        el(
          "tr",
          { attrs: { "data-testid": "child-row", "data-pid": c.pid ?? "" } },
          tdPid(c.pid),
          td(c.comm, "c-comm mono"),
          td(c.exe, "mono"),
          td(Array.isArray(c.args) && c.args.length ? argvText(c.args) : c.cmdline, "mono"),
        ),
      ),
    );

    const acts = Array.isArray(data.activity) ? data.activity.slice().reverse() : [];
    $("process-activity-count").textContent = `(${acts.length}, newest first)`;
    $("process-activity").replaceChildren(
      ...acts.map((r) => {
        const tr = el(
          "tr",
          { cls: "clickable", attrs: { "data-testid": "activity-row", "data-event-type": r.event_type ?? "" } },
          td(shortTime(r.timestamp), "c-time mono"),
          el("td", { cls: "c-type" }, el("span", { cls: `type type-${String(r.event_type || "").split("_")[0]}`, text: r.event_type ?? "" })),
          td(detail(r), "mono"),
        );
        tr.addEventListener("click", () => {
          const pre = tr.nextElementSibling && tr.nextElementSibling.classList.contains("expand") ? tr.nextElementSibling : null;
          if (pre) pre.remove();
          else tr.after(el("tr", { cls: "expand" }, el("td", { attrs: { colspan: 3 } }, el("pre", { cls: "json", text: pretty(r) }))));
        });
        return tr;
      }),
    );
  }

  // ------------------------------------------------------------ health

  const COUNTERS = [
    ["events_received", "events received"],
    ["events_emitted", "events emitted"],
    ["alerts_emitted", "alerts emitted"],
    ["kernel_drops", "kernel drops", "warn"],
    ["userspace_drops", "userspace drops", "warn"],
    ["filtered", "filtered"],
    ["invalid_events", "invalid events", "warn"],
    ["process_table_size", "process table"],
    ["rss_kb", "RSS (KiB)"],
    ["uptime_secs", "uptime"],
    ["ui_dropped", "dropped for this view", "warn"],
  ];

  function buildCounters() {
    const box = $("health-counters");
    for (const [key, label] of COUNTERS) {
      const id = `health-${key.replace(/_/g, "-")}`;
      box.append(
        el(
          "div",
          { cls: "counter", attrs: { "data-key": key } },
          el("div", { cls: "counter-value mono", text: "–", attrs: { id, "data-testid": id } }),
          el("div", { cls: "counter-label", text: label }),
        ),
      );
    }
  }

  let lastStats = null; // {t, s}
  const samples = []; // {t, events, alerts, drops}

  function updateCounters(s) {
    for (const [key, , warn] of COUNTERS) {
      const v = $(`health-${key.replace(/_/g, "-")}`);
      if (!v) continue;
      const val = s[key];
      v.textContent = key === "uptime_secs" ? fmtDuration(val) : fmtNum(val);
      v.dataset.value = val === undefined || val === null ? "" : String(val);
      v.parentElement.classList.toggle("counter-warn", !!warn && typeof val === "number" && val > 0);
    }
    const outs = Array.isArray(s.outputs) ? s.outputs : [];
    $("health-outputs").replaceChildren(
      ...outs.map((o) =>
        el(
          "tr",
          { attrs: { "data-testid": "output-row" } },
          td(o.name),
          td(o.type),
          td(fmtNum(o.sent), "num mono"),
          td(fmtNum(o.failed), "num mono"),
          td(fmtNum(o.dropped), "num mono"),
          td(fmtNum(o.queued), "num mono"),
        ),
      ),
    );
  }

  function onStats(s) {
    updateCounters(s);
    const now = performance.now() / 1000;
    const drops = (s.kernel_drops || 0) + (s.userspace_drops || 0);
    if (lastStats) {
      const dt = now - lastStats.t;
      const p = lastStats.s;
      if (dt > 0.05) {
        const rate = (a, b) => Math.max(0, (a - b) / dt);
        samples.push({
          t: now,
          events: rate(s.events_received || 0, p.events_received || 0),
          alerts: rate(s.alerts_emitted || 0, p.alerts_emitted || 0),
          drops: rate(drops, (p.kernel_drops || 0) + (p.userspace_drops || 0)),
        });
        while (samples.length && samples[0].t < now - CHART_SECONDS) samples.shift();
        drawChart(now);
      }
    }
    lastStats = { t: now, s };
  }

  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  const LANES = [
    ["events", "events/s"],
    ["alerts", "alerts/s"],
    ["drops", "drops/s"],
  ];

  /** Three stacked lanes, each on its own scale, the last CHART_SECONDS. */
  function drawChart(now) {
    const chart = $("health-chart");
    // Draw in CSS pixels so text is not stretched: the viewBox follows the width.
    const W = Math.max(360, Math.round(chart.getBoundingClientRect().width) || 720);
    chart.setAttribute("viewBox", `0 0 ${W} 240`);
    const laneH = 80;
    const left = 92;
    const right = 8;
    const parts = [];
    LANES.forEach(([key, label], i) => {
      const top = i * laneH;
      const plotTop = top + 14;
      const plotBottom = top + laneH - 8;
      const vals = samples.map((s) => s[key]);
      const max = Math.max(1, ...vals);
      const cur = vals.length ? vals[vals.length - 1] : 0;
      parts.push(svg("rect", { x: left, y: plotTop, width: W - left - right, height: plotBottom - plotTop, class: "lane-bg" }));
      parts.push(svg("text", { x: 6, y: top + 30, class: `lane-label lane-${key}` }, label));
      parts.push(
        svg(
          "text",
          { x: 6, y: top + 50, class: "lane-value", "data-testid": `chart-${key}-now` },
          cur >= 100 ? Math.round(cur).toLocaleString("en-US") : cur.toFixed(1),
        ),
      );
      parts.push(svg("text", { x: W - right - 4, y: plotTop - 3, class: "lane-max" }, `max ${Math.round(max).toLocaleString("en-US")}`));
      const x = (t) => left + ((W - left - right) * (CHART_SECONDS - (now - t))) / CHART_SECONDS;
      const y = (v) => plotBottom - ((plotBottom - plotTop) * v) / max;
      const pts = samples.map((s) => `${x(s.t).toFixed(1)},${y(s[key]).toFixed(1)}`).join(" ");
      parts.push(
        svg("polyline", {
          points: pts,
          class: `series series-${key}`,
          "data-testid": `chart-${key}`,
          "data-points": samples.length,
        }),
      );
    });
    chart.dataset.points = String(samples.length);
    chart.replaceChildren(...parts);
  }

  function onHealth(h) {
    $("health-record").textContent = pretty(h);
    $("health-record-time").textContent = h.timestamp ? `(${h.timestamp})` : "";
  }

  // ------------------------------------------------------------ connection

  let source = null;
  let retryTimer = 0;

  function setConn(state, text) {
    const c = $("conn-status");
    c.dataset.state = state;
    c.textContent = text || state;
  }

  function parse(ev) {
    try {
      return JSON.parse(ev.data);
    } catch {
      return null;
    }
  }

  function connect() {
    if (retryTimer) {
      clearTimeout(retryTimer);
      retryTimer = 0;
    }
    if (source) source.close();
    setConn("connecting", "connecting");
    const es = new EventSource(api("/api/stream"));
    source = es;
    es.addEventListener("open", () => setConn("connected", "live"));
    es.addEventListener("hello", (ev) => {
      const h = parse(ev);
      if (!h) return;
      // A (re)connection replays the server's history: start from it.
      droppedBefore += droppedNow;
      droppedNow = 0;
      buffer = [];
      alerts = [];
      selectedRow = null;
      selectedAlert = null;
      $("host").textContent = h.host || "";
      $("version").textContent = h.version ? `v${h.version}` : "";
      document.title = h.host ? `rand-guard · ${h.host}` : "rand-guard";
      setConn("connected", "live");
      $("alert-count").textContent = "0";
      rerender();
      renderAlerts();
    });
    es.addEventListener("record", (ev) => {
      const r = parse(ev);
      if (r && typeof r === "object") push(r);
    });
    es.addEventListener("alert", (ev) => {
      const d = parse(ev);
      if (d && d.alert) addAlert(d.alert, d.source);
    });
    es.addEventListener("stats", (ev) => {
      const s = parse(ev);
      if (s) onStats(s);
    });
    es.addEventListener("health", (ev) => {
      const h = parse(ev);
      if (h) onHealth(h);
    });
    es.addEventListener("dropped", (ev) => {
      const d = parse(ev);
      if (!d) return;
      droppedNow = Math.max(droppedNow, Number(d.dropped) || 0);
      const uiDropped = droppedBefore + droppedNow;
      const n = $("dropped-notice");
      n.hidden = false;
      n.dataset.count = String(uiDropped);
      n.textContent = `${fmtNum(uiDropped)} records dropped for this view (browser too slow)`;
    });
    es.addEventListener("error", () => {
      if (source !== es) return;
      if (es.readyState === EventSource.CONNECTING) {
        setConn("reconnecting", "reconnecting…");
        return;
      }
      // CLOSED: the server answered with an error (401 after a restart with a
      // new token, or no stream). Tell which, and try again later.
      setConn("reconnecting", "reconnecting…");
      fetch(api("/api/health"), { cache: "no-store" })
        .then((res) => {
          if (res.status === 401) setConn("closed", "token rejected: open the URL the sensor printed");
          else retryTimer = setTimeout(connect, 3000);
        })
        .catch(() => {
          retryTimer = setTimeout(connect, 3000);
        });
    });
  }

  async function loadHealth() {
    try {
      const res = await fetch(api("/api/health"), { cache: "no-store" });
      if (res.ok) updateCounters(await res.json());
    } catch {
      /* the stream's stats will fill it in */
    }
  }

  // ------------------------------------------------------------ tabs and events

  function selectTab(name) {
    for (const t of document.querySelectorAll(".tab")) {
      t.setAttribute("aria-selected", String(t.dataset.pane === name));
    }
    for (const p of document.querySelectorAll(".pane")) p.hidden = p.id !== `pane-${name}`;
    if (name === "health" && samples.length) drawChart(performance.now() / 1000);
  }

  function readFilters() {
    const next = {
      type: $("filter-type").value,
      severity: $("filter-severity").value,
      pid: $("filter-pid").value.trim(),
      name: $("filter-name").value.trim(),
      path: $("filter-path").value.trim(),
    };
    // Unchanged (a `change` event after typing, fired when the field loses
    // focus to a click in the table): redrawing now would swap the rows
    // under that click.
    if (Object.keys(next).every((k) => next[k] === filters[k])) return;
    Object.assign(filters, next);
    $("filters").classList.toggle("filtering", Object.values(filters).some(Boolean));
    if (paused) {
      pending = 0;
      showPending();
    }
    rerender();
    renderAlerts();
  }

  function init() {
    buildCounters();
    renderAlerts();
    updateSummary();
    drawChart(performance.now() / 1000);

    for (const t of document.querySelectorAll(".tab")) t.addEventListener("click", () => selectTab(t.dataset.pane));

    window.addEventListener("resize", () => {
      if (!$("pane-health").hidden) drawChart(performance.now() / 1000);
    });
    $("pause-button").addEventListener("click", () => setPaused(!paused));
    const form = $("filters");
    let typing = 0; // redraw once typing pauses, not on every key
    form.addEventListener("input", () => {
      clearTimeout(typing);
      typing = setTimeout(readFilters, 150);
    });
    form.addEventListener("change", () => {
      clearTimeout(typing);
      readFilters();
    });
    form.addEventListener("submit", (e) => e.preventDefault());
    form.addEventListener("reset", () => setTimeout(readFilters, 0));

    // One handler for every pid link on the page.
    document.addEventListener("click", (e) => {
      const link = e.target instanceof Element ? e.target.closest(".pid-link") : null;
      if (link) {
        e.preventDefault();
        e.stopPropagation();
        showProcess(link.dataset.pid);
      }
    });

    recordBody.addEventListener("click", (e) => {
      const tr = e.target instanceof Element ? e.target.closest("tr") : null;
      if (!tr) return;
      const entry = findEntry(Number(tr.dataset.seq));
      if (entry) selectRecord(entry, tr);
    });
    $("record-detail-close").addEventListener("click", () => {
      $("record-detail").hidden = true;
      selectedRow = null;
      for (const s of recordBody.querySelectorAll("tr.selected")) s.classList.remove("selected");
    });

    alertBody.addEventListener("click", (e) => {
      const tr = e.target instanceof Element ? e.target.closest("tr") : null;
      if (!tr) return;
      const a = alerts.find((x) => String(x.seq) === tr.dataset.seq);
      if (a) selectAlert(a, tr);
    });
    $("alert-detail-close").addEventListener("click", () => {
      $("alert-detail").hidden = true;
      selectedAlert = null;
      for (const s of alertBody.querySelectorAll("tr.selected")) s.classList.remove("selected");
    });

    $("process-form").addEventListener("submit", (e) => {
      e.preventDefault();
      showProcess($("process-pid").value);
    });
    $("process-in-stream").addEventListener("click", () => {
      if (!currentPid) return;
      $("filter-pid").value = currentPid;
      readFilters();
      selectTab("stream");
    });

    if (!token) {
      setConn("closed", "no token: open the URL the sensor printed");
      return;
    }
    loadHealth();
    connect();
  }

  init();
})();
