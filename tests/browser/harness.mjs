// What the browser tests share: a real Groundswell server and a real browser.
//
// startServer() starts `groundswell serve` (the binary named by $GROUNDSWELL_BIN) on a free
// 127.0.0.1 port with a fresh SQLite database in a temp dir; stop() ends it with SIGTERM and
// removes the dir (an exit hook does that for servers a failing test left running).
//
// launchBrowser() starts Debian's Chromium ($GROUNDSWELL_CHROMIUM, default /usr/bin/chromium)
// headless through playwright-core. watch(page) records what a page must never do: uncaught
// script errors, console errors, failed requests. screenshot(page, name) saves a PNG under
// SCREENSHOTS ($GROUNDSWELL_SCREENSHOTS, default $GROUNDSWELL_TOOLS_CACHE/screenshots,
// outside the checkout).

import { spawn } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const HERE = dirname(fileURLToPath(import.meta.url));

export const BIN = process.env.GROUNDSWELL_BIN ?? resolve(HERE, "../../target/debug/groundswell");
export const CHROMIUM = process.env.GROUNDSWELL_CHROMIUM ?? "/usr/bin/chromium";
export const SCREENSHOTS =
  process.env.GROUNDSWELL_SCREENSHOTS ??
  join(process.env.GROUNDSWELL_TOOLS_CACHE ?? join(homedir(), ".cache", "groundswell-tools"), "screenshots");
export const PASSWORD = "correct horse battery staple";

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const live = new Set();

process.on("exit", () => {
  for (const server of live) server.cleanupSync();
});

export const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** Poll `check` (an async function returning a value or null) for up to `ms`. */
export async function eventually(check, ms = 30_000, what = "the condition") {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

function freePort() {
  return new Promise((ok, fail) => {
    const probe = createServer();
    probe.unref();
    probe.on("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
  });
}

class Server {
  constructor(dir, port, { name = "Engineering", peers = [], host = "127.0.0.1" } = {}) {
    this.dir = dir;
    this.domain = `${host}:${port}`;
    this.url = `http://${this.domain}`;
    this.logPath = join(dir, "server.log");
    const env = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (!key.startsWith("GROUNDSWELL_")) env[key] = value;
    }
    this.env = {
      ...env,
      GROUNDSWELL_DATABASE__URL: `sqlite://${dir}/gs.sqlite3`,
      GROUNDSWELL_HTTP__BIND: `127.0.0.1:${port}`,
      GROUNDSWELL_INSTANCE__DOMAIN: this.domain,
      GROUNDSWELL_INSTANCE__NAME: name,
      GROUNDSWELL_LOG__LEVEL: "warn",
    };
    if (peers.length > 0) {
      // Departments on 127.0.0.1 ports federate over plain HTTP (local testing only).
      Object.assign(this.env, {
        GROUNDSWELL_FEDERATION__ALLOWED_DOMAINS: peers.join(","),
        GROUNDSWELL_FEDERATION__ALLOW_HTTP: "true",
        GROUNDSWELL_FEDERATION__MAX_RETRY_INTERVAL_SECS: "1",
      });
    }
  }

  log() {
    try {
      return readFileSync(this.logPath, "utf8");
    } catch {
      return "";
    }
  }

  async start() {
    const fd = openSync(this.logPath, "a");
    try {
      this.proc = spawn(BIN, ["serve"], { cwd: this.dir, env: this.env, stdio: ["ignore", fd, fd] });
    } finally {
      closeSync(fd);
    }
    this.exited = new Promise((ok) => this.proc.once("exit", (code, signal) => ok({ code, signal })));
    let early = null;
    this.exited.then((status) => (early = status));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (early) throw new Error(`groundswell serve exited early (${JSON.stringify(early)}):\n${this.log()}`);
      try {
        const res = await fetch(this.url + "/readyz", { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    throw new Error(`groundswell serve was not ready within ${READY_TIMEOUT_MS} ms:\n${this.log()}`);
  }

  /** `groundswell ARGS…` on this server's database; resolves to its stdout. */
  cli(args, { stdin } = {}) {
    return new Promise((ok, fail) => {
      const child = spawn(BIN, args, { cwd: this.dir, env: this.env, stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (s) => (stdout += s));
      child.stderr.setEncoding("utf8").on("data", (s) => (stderr += s));
      child.on("error", fail);
      child.on("close", (code) =>
        code === 0 ? ok(stdout) : fail(new Error(`groundswell ${args.join(" ")} exited with ${code}: ${stderr}`)),
      );
      child.stdin.end(stdin ?? "");
    });
  }

  /** An employee with a password (for the sign-in form) and an API token. */
  async employee(username, { role = "user" } = {}) {
    await this.cli(
      ["admin", "create-user", username, "--email", `${username}@eng.corp.example`, "--role", role, "--password-stdin"],
      { stdin: PASSWORD + "\n" },
    );
    const token = (await this.cli(["admin", "issue-token", username, "--scopes", "read write follow"])).trim();
    return { username, password: PASSWORD, token };
  }

  /** A Mastodon API call as `who`; resolves to { status, body }. */
  async api(who, method, path, body) {
    const res = await fetch(this.url + path, {
      method,
      headers: { Authorization: `Bearer ${who.token}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  async stop() {
    if (this.stopped) return;
    this.stopped = true;
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill("SIGTERM");
      let timer;
      const timeout = new Promise((ok) => (timer = setTimeout(ok, STOP_TIMEOUT_MS, "timeout")));
      const outcome = await Promise.race([this.exited, timeout]);
      clearTimeout(timer);
      if (outcome === "timeout") {
        this.proc.kill("SIGKILL");
        await this.exited;
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  cleanupSync() {
    try {
      if (this.proc && this.proc.exitCode === null) this.proc.kill("SIGKILL");
    } catch {}
    try {
      rmSync(this.dir, { recursive: true, force: true });
    } catch {}
    live.delete(this);
  }
}

/** A fresh server with its own SQLite database, ready to serve. */
export async function startServer() {
  const server = new Server(mkdtempSync(join(tmpdir(), "gs-browser-")), await freePort());
  live.add(server);
  try {
    await server.start();
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

/**
 * Several departments on localhost ports, each a fresh server with its own SQLite database,
 * federating with each other: `startDepartments(["Engineering", "Sales"])`. Options: `env`,
 * more settings for every department (`GROUNDSWELL_…` variables), and `config(i, servers)`,
 * a TOML configuration file for department `i` (written to its folder before it starts).
 */
export async function startDepartments(names, { env = {}, config } = {}) {
  const ports = [];
  while (ports.length < names.length) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  // ActivityPub ids need a host name, not an IP address.
  const domains = ports.map((p) => `localhost:${p}`);
  const servers = names.map((name, i) => {
    const server = new Server(mkdtempSync(join(tmpdir(), "gs-browser-")), ports[i], {
      name,
      peers: domains.filter((_, j) => j !== i),
      host: "localhost",
    });
    Object.assign(server.env, env);
    live.add(server);
    return server;
  });
  servers.forEach((server, i) => {
    const toml = config?.(i, servers);
    if (toml) {
      const file = join(server.dir, "groundswell.toml");
      writeFileSync(file, toml);
      server.env.GROUNDSWELL_CONFIG = file;
    }
  });
  try {
    await Promise.all(servers.map((s) => s.start()));
  } catch (e) {
    await Promise.all(servers.map((s) => s.stop()));
    throw e;
  }
  return servers;
}

/** Debian's Chromium, headless. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/**
 * Record what a page must never do; `problems()` lists it. Answers of 400 and above are
 * listed only for subresources: a page's own status is asserted by the test.
 */
export function watch(page) {
  const found = [];
  page.on("pageerror", (e) => found.push(`script error: ${e.message}`));
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    // The browser reports a document's own error status too; the test asserts that one.
    const where = msg.location().url;
    if (msg.text().startsWith("Failed to load resource") && where === page.url()) return;
    found.push(`console error: ${msg.text()} (${where})`);
  });
  page.on("requestfailed", (req) => found.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  page.on("response", (res) => {
    if (res.status() >= 400 && res.request().resourceType() !== "document") {
      found.push(`${res.status()} for ${res.url()}`);
    }
  });
  return { problems: () => [...found] };
}

const AXE = resolve(HERE, "node_modules/axe-core/axe.min.js");

/**
 * What axe-core (the accessibility engine behind Lighthouse and the browsers' tools) finds
 * against WCAG 2 A and AA on the page as it is: labels, landmarks, names, contrast, ARIA.
 * Returns one line per problem, `[]` when there is none.
 */
export async function accessibilityProblems(page) {
  if (!(await page.evaluate(() => typeof window.axe !== "undefined"))) {
    await page.addScriptTag({ path: AXE });
  }
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }),
  );
  return result.violations.flatMap((v) =>
    v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(" ")} — ${n.failureSummary?.split("\n").slice(1).join("; ")}`),
  );
}

/** Save a full-page screenshot as SCREENSHOTS/NAME.png; returns its path. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Sign in through the local form (the way an employee does), ending on `returnTo`. */
export async function signIn(page, server, who, returnTo = "/") {
  await page.goto(`${server.url}/auth/sign_in?return_to=${encodeURIComponent(returnTo)}`);
  await page.fill("#username", who.username);
  await page.fill("#password", who.password);
  await Promise.all([page.waitForURL(server.url + returnTo), page.click("button[type=submit]")]);
}
