// Drives Debian's chromium (never a downloaded browser) against a running
// rand-guard dashboard with playwright-core. tests/e2e_ui_browser.rs starts
// the real sensor and runs this script as its child.
//
//   node tests/ui/dashboard.mjs live       the page shows real activity
//   node tests/ui/dashboard.mjs bad-token  a wrong or missing token gets nothing
//
// Settings come from the environment:
//   RG_UI_URL        base URL, e.g. http://127.0.0.1:9300 (required)
//   RG_UI_TOKEN      the sensor's token (required)
//   RG_UI_MARKER     unique string in the argv of the exec the test causes (live)
//   RG_UI_ANCESTOR   a pid the marker exec descends from: the test process (live)
//   RG_UI_RULE       rule id of the alert the test causes (live)
//   RG_UI_SCREENSHOTS  directory: save ui-stream.png, ui-alerts.png, ui-process.png, ui-health.png
//   RG_UI_FAILURE_SHOT where to save a screenshot of the page when a check fails
//   CHROMIUM         browser binary (default /usr/bin/chromium)
//
// `live` talks to the test over stdio, one line each way, so the activity
// happens while the page is watching:
//   script -> test   "need exec" | "need alert" | "need paused-exec"
//   test -> script   "exec pid=N" | "alert pid=N" | "paused-exec pid=N"
//                    (sent once the sensor has written the records)
// Progress goes to stdout as "log: ..."; the last line is "ok" on success.
// Any failure prints "FAIL: why" on stderr and exits 1.

import { createInterface } from "node:readline";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const env = process.env;
const mode = process.argv[2];
const BASE = (env.RG_UI_URL || "").replace(/\/$/, "");
const TOKEN = env.RG_UI_TOKEN || "";
const BROWSER = env.CHROMIUM || "/usr/bin/chromium";
const SHOTS = env.RG_UI_SCREENSHOTS || "";
const STEP_MS = 15000; // how long one expected thing may take to appear

class Fail extends Error {}
const fail = (msg) => {
  throw new Fail(msg);
};
const log = (msg) => console.log(`log: ${msg}`);

function checkEnv() {
  if (!BASE || !TOKEN) fail("RG_UI_URL and RG_UI_TOKEN must be set");
  if (!existsSync(BROWSER)) fail(`${BROWSER} not found: \`make deps-test\` installs Debian's chromium`);
}

// ---------------------------------------------------------------- stdio protocol with the test

const replies = [];
const waiters = [];
const rl = createInterface({ input: process.stdin });
rl.on("line", (line) => {
  const w = waiters.shift();
  if (w) w(line);
  else replies.push(line);
});

/** Asks the test to do `what`; resolves with the reply's key=value pairs. */
async function need(what, timeoutMs = 60000) {
  console.log(`need ${what}`);
  const line = await new Promise((resolve, reject) => {
    if (replies.length) return resolve(replies.shift());
    const t = setTimeout(() => reject(new Fail(`the test did not answer "need ${what}" in ${timeoutMs} ms`)), timeoutMs);
    waiters.push((l) => {
      clearTimeout(t);
      resolve(l);
    });
  });
  const [word, ...kv] = line.trim().split(/\s+/);
  if (word !== what) fail(`asked the test for "${what}", it answered "${line}"`);
  return Object.fromEntries(kv.map((p) => p.split("=", 2)));
}

// ---------------------------------------------------------------- browser helpers

async function launch() {
  return chromium.launch({
    executablePath: BROWSER,
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
  });
}

/** Page errors, failed CSP checks and console errors: each one fails the test. */
function watchErrors(page) {
  const errors = [];
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console error: ${m.text()}`);
  });
  return errors;
}

async function waitFor(page, what, fn, arg, timeout = STEP_MS) {
  try {
    return await page.waitForFunction(fn, arg, { timeout, polling: 100 });
  } catch (e) {
    fail(`${what}: not seen within ${timeout} ms (${e.message.split("\n")[0]})`);
  }
}

async function shot(page, name) {
  if (!SHOTS) return;
  const path = join(SHOTS, name);
  await page.screenshot({ path });
  log(`screenshot ${path}`);
}

/** Types `pid` in the pid filter and waits until only its rows are shown. */
async function filterPid(page, pid) {
  await page.fill("[data-testid=filter-pid]", String(pid));
  await waitFor(
    page,
    `only pid ${pid} rows with the pid filter`,
    (p) => {
      const rows = [...document.querySelectorAll("[data-testid=record-row]")];
      return rows.length > 0 && rows.every((r) => r.dataset.pid === p);
    },
    String(pid),
  );
}

const rowSel = (type, pid) => `[data-testid=record-row][data-event-type="${type}"][data-pid="${pid}"]`;

// ---------------------------------------------------------------- live

async function live() {
  const marker = env.RG_UI_MARKER || fail("RG_UI_MARKER must be set");
  const ancestor = env.RG_UI_ANCESTOR || fail("RG_UI_ANCESTOR must be set");
  const rule = env.RG_UI_RULE || fail("RG_UI_RULE must be set");

  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1400, height: 820 } });
  try {
    await liveChecks(page, marker, ancestor, rule);
  } catch (e) {
    if (env.RG_UI_FAILURE_SHOT) {
      await page.screenshot({ path: env.RG_UI_FAILURE_SHOT }).then(
        () => console.error(`the page at the failure: ${env.RG_UI_FAILURE_SHOT}`),
        () => {},
      );
    }
    throw e;
  } finally {
    await browser.close();
  }
}

async function liveChecks(page, marker, ancestor, rule) {
  const errors = watchErrors(page);
  const checkErrors = () => errors.length && fail(`the page reported errors:\n${errors.join("\n")}`);

  // 1. The page loads with the token, takes it out of the address bar, connects.
  const res = await page.goto(`${BASE}/?token=${encodeURIComponent(TOKEN)}`);
  if (!res || res.status() !== 200) fail(`GET /?token=… answered ${res && res.status()}, expected 200`);
  await waitFor(page, "connection status 'connected'", () =>
    document.querySelector("[data-testid=conn-status]")?.dataset.state === "connected");
  if (page.url().includes(TOKEN)) fail(`the token is still in the address bar: ${page.url()}`);
  log("page loaded, stream connected, token out of the address bar");

  // 2. A real exec with the marker in its argv appears live, shown as text.
  const { pid } = await need("exec");
  await waitFor(
    page,
    `the process_exec row of pid ${pid} with the marker`,
    ([sel, m]) => [...document.querySelectorAll(sel)].some((r) => r.textContent.includes(m)),
    [rowSel("process_exec", pid), marker],
  );
  const hostile = await page.evaluate(
    ([sel, m]) => {
      const row = [...document.querySelectorAll(sel)].find((r) => r.textContent.includes(m));
      return {
        text: row.textContent,
        elements: document.querySelectorAll("#record-body img, #record-body b, #record-body script").length,
        pwned: window.__rgPwned === 1,
      };
    },
    [rowSel("process_exec", pid), marker],
  );
  if (!hostile.text.includes("<b>")) fail(`the hostile argument is not shown as text: ${hostile.text}`);
  if (hostile.elements || hostile.pwned) fail("record data became markup in the page");
  log(`exec of pid ${pid} with marker shown live, hostile argv shown as text`);

  // Filters: pid, then type.
  await filterPid(page, pid);
  await page.fill("[data-testid=filter-pid]", "");
  await page.selectOption("[data-testid=filter-type]", "process_exec");
  await waitFor(page, "only process_exec rows with the type filter", () => {
    const rows = [...document.querySelectorAll("[data-testid=record-row]")];
    return rows.length > 0 && rows.every((r) => r.dataset.eventType === "process_exec");
  });
  await page.selectOption("[data-testid=filter-type]", "");
  log("pid and type filters narrow the table");

  // 3. An alert from the default rule pack, with its source record in full.
  const { pid: apid } = await need("alert");
  const alertSel = `[data-testid=alert-row][data-rule-id="${rule}"][data-pid="${apid}"]`;
  await page.click("[data-testid=tab-alerts]");
  await waitFor(page, `alert ${rule} of pid ${apid} in the alerts view`, (s) => !!document.querySelector(s), alertSel);
  await page.click(alertSel);
  await waitFor(page, "the alert's detail pane", () => !document.querySelector("[data-testid=alert-detail]").hidden);
  const det = await page.evaluate(() => ({
    alert: document.querySelector("[data-testid=alert-json]").textContent,
    source: document.querySelector("[data-testid=alert-source]").textContent,
    severity: document.querySelector("[data-testid=alert-row].selected [data-testid=severity]")?.textContent,
    tags: document.querySelector("[data-testid=alert-row].selected [data-testid=alert-tags]")?.textContent,
  }));
  let a, src;
  try {
    a = JSON.parse(det.alert);
    src = JSON.parse(det.source);
  } catch (e) {
    fail(`alert or source pane is not the JSON record: ${e.message}\n${det.alert}\n${det.source}`);
  }
  if (a.rule_id !== rule || a.pid !== Number(apid)) fail(`alert pane shows another alert: ${det.alert}`);
  if (!src || src.event_type !== a.source_event_type || src.pid !== a.pid || src.timestamp !== a.timestamp)
    fail(`the source record does not match the alert:\n${det.source}\n${det.alert}`);
  if (det.severity !== a.severity) fail(`severity badge "${det.severity}" != alert's "${a.severity}"`);
  if (!a.tags.every((t) => det.tags.includes(t))) fail(`ATT&CK tags not all shown: ${det.tags} vs ${a.tags}`);
  log(`alert ${rule} (${a.severity}) shown with its ${src.event_type} source record`);
  await shot(page, "ui-alerts.png");

  // 4. Clicking the exec's pid shows its ancestry, which includes this test.
  // (Filtered to that pid first: on a busy host its row may have scrolled
  // out of the table's newest rows by now.)
  await page.click("[data-testid=tab-stream]");
  await filterPid(page, pid);
  await page.click(`${rowSel("process_exec", pid)} [data-testid=pid-link]`);
  await waitFor(
    page,
    `process view of pid ${pid}`,
    (p) => {
      const v = document.querySelector("[data-testid=process-view]");
      return !v.hidden && v.dataset.pid === p && !document.querySelector("[data-testid=pane-process]").hidden;
    },
    String(pid),
  );
  const proc = await page.evaluate(() => ({
    ancestry: [...document.querySelectorAll("[data-testid=process-ancestry] [data-testid=ancestry-item]")].map(
      (li) => li.dataset.pid,
    ),
    cmdline: document.querySelector("[data-testid=process-cmdline]").textContent,
  }));
  if (!proc.ancestry.includes(String(ancestor)))
    fail(`ancestry of ${pid} is [${proc.ancestry}], expected it to include the test process ${ancestor}`);
  if (proc.ancestry[proc.ancestry.length - 1] !== "1")
    log(`note: ancestry of ${pid} ends at ${proc.ancestry[proc.ancestry.length - 1]}, not init`);
  if (!proc.cmdline.includes(marker)) fail(`process cmdline "${proc.cmdline}" lacks the marker`);
  log(`process ${pid}: ancestry [${proc.ancestry.join(" → ")}] includes the test process ${ancestor}`);

  // Pids inside the process view are links too: the test process lists the exec among its children.
  await page.click(`[data-testid=process-ancestry] [data-testid=ancestry-item][data-pid="${ancestor}"] [data-testid=pid-link]`);
  await waitFor(
    page,
    `process ${ancestor} listing ${pid} among its children`,
    ([anc, p]) =>
      document.querySelector("[data-testid=process-view]").dataset.pid === anc &&
      !!document.querySelector(`[data-testid=process-children] [data-testid=child-row][data-pid="${p}"]`),
    [String(ancestor), String(pid)],
  );
  log(`process ${ancestor} lists ${pid} among its children`);
  await page.click(`[data-testid=process-children] [data-testid=child-row][data-pid="${pid}"] [data-testid=pid-link]`);
  await waitFor(page, `back to process ${pid}`, (p) => document.querySelector("[data-testid=process-view]").dataset.pid === p, String(pid));
  await shot(page, "ui-process.png");
  await page.click("[data-testid=tab-stream]");
  await page.click("[data-testid=filter-clear]");
  await waitFor(page, "the pid filter cleared", () => document.querySelector("[data-testid=filter-pid]").value === "");

  // 5. Health: counters and a chart with points.
  await page.click("[data-testid=tab-health]");
  await waitFor(page, "events_received > 0 in the health view", () =>
    Number(document.querySelector("[data-testid=health-events-received]").dataset.value) > 0);
  await waitFor(page, "at least 3 points in the chart", () => {
    const line = document.querySelector("[data-testid=chart-events]");
    return line && Number(line.dataset.points) >= 3 && line.getAttribute("points").split(" ").length >= 3;
  });
  const received = await page.evaluate(() => document.querySelector("[data-testid=health-events-received]").dataset.value);
  log(`health: events_received ${received}, chart drawn`);
  await shot(page, "ui-health.png");

  // 6. Pause: a new exec is counted, not drawn; resume draws it.
  await page.click("[data-testid=tab-stream]");
  await page.click("[data-testid=pause-button]");
  if ((await page.getAttribute("[data-testid=pause-button]", "aria-pressed")) !== "true") fail("pause button not pressed");
  const { pid: ppid } = await need("paused-exec");
  await page.waitForTimeout(1500); // the record reached the sensor's stdout; give the stream time
  const whilePaused = await page.evaluate(
    (sel) => ({
      rows: document.querySelectorAll(sel).length,
      pending: Number(document.querySelector("[data-testid=pending-count]").dataset.count || 0),
      pendingShown: !document.querySelector("[data-testid=pending-count]").hidden,
    }),
    rowSel("process_exec", ppid),
  );
  if (whilePaused.rows) fail(`the exec of pid ${ppid} was drawn while paused`);
  if (!whilePaused.pendingShown || whilePaused.pending < 1)
    fail(`paused view does not count new records (pending ${whilePaused.pending})`);
  log(`paused: exec of ${ppid} not drawn, "${whilePaused.pending} new" shown`);
  await page.click("[data-testid=pause-button]");
  // The table keeps its newest 2000 rows (ROWS_MAX in app.js): on a busy
  // host more than that arrive while paused and the exec is not among them,
  // so it is looked for through the pid filter, as in step 4.
  const crowded = whilePaused.pending >= 2000;
  if (crowded) await filterPid(page, ppid);
  await waitFor(page, `exec of pid ${ppid} drawn on resume`, (s) => !!document.querySelector(s), rowSel("process_exec", ppid), 3000);
  log(`resume draws the exec of ${ppid}${crowded ? " (through the pid filter: the table overflowed while paused)" : ""}`);
  if (crowded) {
    await page.click("[data-testid=filter-clear]");
    await waitFor(page, "the pid filter cleared", () => document.querySelector("[data-testid=filter-pid]").value === "");
  }
  // A row opens its record in full (filtered first, so no new row moves it).
  await filterPid(page, ppid);
  await page.click(`${rowSel("process_exec", ppid)} td.c-detail`);
  await waitFor(page, "the record pane of the clicked row", () => !document.querySelector("[data-testid=record-detail]").hidden);
  if (!(await page.textContent("[data-testid=record-json]")).includes(`"pid": ${ppid}`))
    fail(`the record pane does not show the clicked exec of ${ppid}`);
  await page.evaluate(() => {
    document.querySelector("#pane-stream .table-wrap").scrollTop = 0;
  });
  await shot(page, "ui-stream.png");

  checkErrors();
  if ((await page.getAttribute("[data-testid=conn-status]", "data-state")) !== "connected")
    fail("the stream disconnected during the test");

  // A reload of the address bar (the token was taken out of it) gets the 401
  // page, whose script goes back once with the token this tab kept.
  await page.reload();
  await waitFor(page, "the dashboard back after a reload", () => !!document.getElementById("record-body"));
  await waitFor(page, "the stream reconnected after a reload", () =>
    document.querySelector("[data-testid=conn-status]").getAttribute("data-state") === "connected");
  if (new URL(page.url()).searchParams.has("token")) fail("the token is back in the address bar after a reload");
  log("reload: back on the dashboard with the stored token, token out of the address bar");
}

// ---------------------------------------------------------------- bad token

async function badToken() {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    for (const [what, url] of [
      ["a wrong token", `${BASE}/?token=wrong-${TOKEN.slice(0, 4)}-0000000000`],
      ["no token", `${BASE}/`],
      ["the token with one character changed", `${BASE}/?token=${encodeURIComponent(TOKEN.slice(0, -1) + (TOKEN.endsWith("x") ? "y" : "x"))}`],
    ]) {
      const res = await page.goto(url);
      if (!res || res.status() !== 401) fail(`the page with ${what} answered ${res && res.status()}, expected 401`);
      // Give a page that (wrongly) ran anyway time to connect and draw.
      await page.waitForTimeout(500);
      const rows = await page.evaluate(() => document.querySelectorAll("[data-testid=record-row]").length);
      if (rows) fail(`the page with ${what} shows ${rows} records`);
      log(`page with ${what}: 401, nothing shown`);
    }

    // From the same origin, as the page's own script would: the stream and the
    // API refuse a wrong or missing token, and the EventSource gets nothing.
    const probe = await page.evaluate(async (good) => {
      const listen = (url) =>
        new Promise((resolve) => {
          const es = new EventSource(url);
          let messages = 0;
          let errors = 0;
          for (const ev of ["message", "hello", "record", "alert", "stats", "health", "dropped"]) {
            es.addEventListener(ev, () => messages++);
          }
          es.onerror = () => errors++;
          setTimeout(() => {
            const state = es.readyState;
            es.close();
            resolve({ messages, errors, state });
          }, 3000);
        });
      const status = async (url) => (await fetch(url, { cache: "no-store" })).status;
      const bad = encodeURIComponent("wrong-" + good.slice(0, 4) + "-0000000000");
      return {
        streamWrong: await listen(`/api/stream?token=${bad}`),
        streamNone: await listen("/api/stream"),
        streamStatus: await status(`/api/stream?token=${bad}`),
        healthWrong: await status(`/api/health?token=${bad}`),
        healthNone: await status("/api/health"),
        processWrong: await status(`/api/process/1?token=${bad}`),
        processNone: await status("/api/process/1"),
        healthGood: await status(`/api/health?token=${encodeURIComponent(good)}`),
      };
    }, TOKEN);
    for (const k of ["streamWrong", "streamNone"]) {
      const s = probe[k];
      if (s.messages) fail(`${k}: the EventSource received ${s.messages} events`);
      if (!s.errors || s.state !== 2) fail(`${k}: the EventSource was not refused (errors ${s.errors}, readyState ${s.state})`);
    }
    for (const k of ["streamStatus", "healthWrong", "healthNone", "processWrong", "processNone"]) {
      if (probe[k] !== 401) fail(`${k}: answered ${probe[k]}, expected 401`);
    }
    if (probe.healthGood !== 200) fail(`control: /api/health with the right token answered ${probe.healthGood}`);
    log(`stream and API refuse wrong and missing tokens: ${JSON.stringify(probe)}`);
  } finally {
    await browser.close();
  }
}

// ---------------------------------------------------------------- main

try {
  checkEnv();
  if (mode === "live") await live();
  else if (mode === "bad-token") await badToken();
  else fail(`unknown mode "${mode}": use live or bad-token`);
  console.log("ok");
  rl.close();
  process.exit(0);
} catch (e) {
  console.error(e instanceof Fail ? `FAIL: ${e.message}` : `FAIL: ${e.stack || e}`);
  process.exit(1);
}
