// Helpers for driving a real Groundswell server from JavaScript client libraries.
//
// startServer({ backend }) starts `groundswell serve` (the binary named by $GROUNDSWELL_BIN)
// on a free 127.0.0.1 port with its own database: a SQLite file in a fresh temp dir, or a
// freshly created PostgreSQL database (backend "postgres"). stop() ends it with SIGTERM and
// removes everything it made; servers still running when the process exits are killed and
// cleaned up by an exit hook, so a failing or interrupted test leaves nothing behind.
//
// authorize(server, ...) does the OAuth authorization-code flow the way a browser does:
// app registration, the sign-in form, the consent form, then the token exchange.
//
// rejectsWithStatus(promise, status) checks that a masto.js call fails with that HTTP status;
// apiRequest(server, path, ...) is a bare fetch for what masto.js would hide (headers, raw JSON).

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { MastoHttpError } from "masto";

const HERE = dirname(fileURLToPath(import.meta.url));

export const BIN =
  process.env.GROUNDSWELL_BIN ?? resolve(HERE, "../../target/debug/groundswell");
export const PG_ADMIN_URL =
  process.env.GROUNDSWELL_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const BACKENDS = ["sqlite", "postgres"];
export const REDIRECT_URI = "http://127.0.0.1:9/callback";

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/** Servers not yet stopped; the exit hook below cleans up after them. */
const live = new Set();

process.on("exit", () => {
  for (const server of live) server.cleanupSync();
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    for (const server of live) server.cleanupSync();
    process.kill(process.pid, signal);
  });
}

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released). */
export function freePort() {
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

function psql(sql) {
  const out = spawnSync("psql", [PG_ADMIN_URL, "-v", "ON_ERROR_STOP=1", "-qXc", sql], {
    encoding: "utf8",
    timeout: 30_000,
  });
  if (out.error) throw new Error(`psql failed to run: ${out.error.message}`);
  if (out.status !== 0) throw new Error(`psql -c '${sql}' failed: ${out.stderr}`);
}

function databaseUrl(name) {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = "/" + name;
  return url.toString();
}

/** The environment of the child: ours without any GROUNDSWELL_* variable, plus `vars`. */
function childEnv(vars) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("GROUNDSWELL_")) env[key] = value;
  }
  return { ...env, ...vars };
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

class Server {
  constructor({ backend, dir, pgName, port, env }) {
    this.backend = backend;
    this.dir = dir;
    this.pgName = pgName;
    this.port = port;
    this.domain = `127.0.0.1:${port}`;
    this.url = `http://${this.domain}`;
    this.env = env;
    this.logPath = join(dir, "server.log");
    this.proc = null;
    this.exited = null;
    this.stopped = false;
  }

  log() {
    try {
      return readFileSync(this.logPath, "utf8");
    } catch {
      return "";
    }
  }

  spawn() {
    const fd = openSync(this.logPath, "a");
    try {
      this.proc = spawn(BIN, ["serve"], { cwd: this.dir, env: this.env, stdio: ["ignore", fd, fd] });
    } finally {
      closeSync(fd);
    }
    this.exited = new Promise((ok) => {
      this.proc.once("exit", (code, signal) => ok({ code, signal }));
      this.proc.once("error", (error) => ok({ code: null, signal: null, error }));
    });
  }

  async waitReady() {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let exitedEarly = null;
    this.exited.then((status) => (exitedEarly = status));
    while (Date.now() < deadline) {
      if (exitedEarly) {
        throw new Error(
          `groundswell serve exited before it was ready (${JSON.stringify(exitedEarly)}):\n${this.log()}`,
        );
      }
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

  /** Runs `groundswell ARGS...` against this server's database; resolves to its stdout. */
  cli(args, { stdin } = {}) {
    return new Promise((ok, fail) => {
      const child = spawn(BIN, args, { cwd: this.dir, env: this.env, stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (s) => (stdout += s));
      child.stderr.setEncoding("utf8").on("data", (s) => (stderr += s));
      child.on("error", fail);
      child.on("close", (code) => {
        if (code === 0) ok(stdout);
        else fail(new Error(`groundswell ${args.join(" ")} exited with ${code}: ${stderr}${stdout}`));
      });
      child.stdin.end(stdin ?? "");
    });
  }

  /** `groundswell admin create-user NAME --email NAME@eng.corp.example --password-stdin`. */
  async createUser(username, { password = "correct horse battery staple", role = "user" } = {}) {
    await this.cli(
      ["admin", "create-user", username, "--email", `${username}@eng.corp.example`, "--role", role, "--password-stdin"],
      { stdin: password + "\n" },
    );
    return { username, password };
  }

  /** `groundswell admin issue-token NAME --scopes SCOPES`: the bearer token it prints. */
  async issueToken(username, scopes = "read") {
    const token = (await this.cli(["admin", "issue-token", username, "--scopes", scopes])).trim();
    if (!token || /\s/.test(token)) throw new Error(`unexpected issue-token output: ${JSON.stringify(token)}`);
    return token;
  }

  /** SIGTERM, wait for the exit (SIGKILL after a while), drop the database, remove the dir. */
  async stop() {
    if (this.stopped) return;
    this.stopped = true;
    const errors = [];
    try {
      if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
        this.proc.kill("SIGTERM");
        let timer;
        const timeout = new Promise((ok) => (timer = setTimeout(ok, STOP_TIMEOUT_MS, "timeout")));
        const outcome = await Promise.race([this.exited, timeout]);
        clearTimeout(timer);
        if (outcome === "timeout") {
          errors.push(new Error(`groundswell serve ignored SIGTERM for ${STOP_TIMEOUT_MS} ms; killed`));
          this.proc.kill("SIGKILL");
          await this.exited;
        }
      }
    } catch (e) {
      errors.push(e);
    }
    try {
      this.dropDatabase();
    } catch (e) {
      errors.push(e);
    }
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, "stopping groundswell failed");
  }

  dropDatabase() {
    if (this.pgName) {
      const name = this.pgName;
      this.pgName = null;
      psql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  }

  /** Last-resort cleanup when the process is exiting: only synchronous steps. */
  cleanupSync() {
    try {
      if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
        this.proc.kill("SIGKILL");
      }
    } catch {}
    try {
      this.dropDatabase();
    } catch {}
    try {
      rmSync(this.dir, { recursive: true, force: true });
    } catch {}
    live.delete(this);
  }
}

/**
 * Starts a fresh Groundswell server and waits until GET /readyz answers 200.
 * `env` adds GROUNDSWELL_* settings (e.g. GROUNDSWELL_INSTANCE__RULES).
 */
export async function startServer({ backend = "sqlite", env = {} } = {}) {
  if (!BACKENDS.includes(backend)) throw new Error(`unknown backend ${backend}`);
  const dir = mkdtempSync(join(tmpdir(), "gs-clients-js-"));
  const port = await freePort();
  let pgName = null;
  let dbUrl = `sqlite://${dir}/gs.sqlite3`;
  const server = new Server({ backend, dir, pgName, port, env: null });
  live.add(server);
  try {
    if (backend === "postgres") {
      pgName = `gs_clients_js_${randomBytes(6).toString("hex")}`;
      psql(`CREATE DATABASE "${pgName}"`);
      server.pgName = pgName;
      dbUrl = databaseUrl(pgName);
    }
    server.env = childEnv({
      GROUNDSWELL_DATABASE__URL: dbUrl,
      GROUNDSWELL_HTTP__BIND: server.domain,
      GROUNDSWELL_INSTANCE__DOMAIN: server.domain,
      GROUNDSWELL_LOG__LEVEL: "warn",
      ...env,
    });
    server.spawn();
    await server.waitReady();
    return server;
  } catch (e) {
    await server.stop().catch(() => {});
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// A tiny browser: a cookie jar and form parsing, on top of fetch (which keeps no cookies).

export class Browser {
  constructor(baseUrl) {
    this.baseUrl = baseUrl;
    this.cookies = new Map();
  }

  cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async request(path, { method = "GET", form, headers = {} } = {}) {
    const url = new URL(path, this.baseUrl);
    const init = { method, redirect: "manual", headers: { ...headers } };
    if (this.cookies.size) init.headers.cookie = this.cookieHeader();
    if (form) {
      init.headers["content-type"] = "application/x-www-form-urlencoded";
      init.body = new URLSearchParams(form).toString();
    }
    const res = await fetch(url, init);
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a)) || value === "";
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const body = await res.text();
    return { status: res.status, headers: res.headers, location: res.headers.get("location"), body, url };
  }
}

const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", "#39": "'", "#x27": "'", "#x2F": "/", "#47": "/" };

export function decodeEntities(s) {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, name) => {
    if (name in ENTITIES) return ENTITIES[name];
    if (/^#x/i.test(name)) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith("#")) return String.fromCodePoint(parseInt(name.slice(1), 10));
    return whole;
  });
}

function attributes(tag) {
  const attrs = {};
  for (const m of tag.matchAll(/([a-zA-Z_:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/g)) {
    attrs[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4]);
  }
  return attrs;
}

/** The forms of a page: [{ action, method, hidden: {name: value}, inputs: [names] }]. */
export function parseForms(html) {
  const forms = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attrs = attributes(m[1]);
    const hidden = {};
    const inputs = [];
    for (const input of m[2].matchAll(/<input\b[^>]*>/gi)) {
      const a = attributes(input[0]);
      if (!a.name) continue;
      inputs.push(a.name);
      if ((a.type ?? "text").toLowerCase() === "hidden") hidden[a.name] = a.value ?? "";
    }
    forms.push({ action: attrs.action, method: (attrs.method ?? "get").toLowerCase(), hidden, inputs });
  }
  return forms;
}

function findForm(page, action, step) {
  const form = parseForms(page.body).find((f) => f.action === action);
  if (!form) {
    throw new Error(`${step}: no <form action="${action}"> on ${page.url} (HTTP ${page.status}):\n${page.body.slice(0, 2000)}`);
  }
  return form;
}

function expectStatus(res, statuses, step) {
  if (!statuses.includes(res.status)) {
    throw new Error(`${step}: expected HTTP ${statuses.join(" or ")}, got ${res.status} (Location: ${res.location}):\n${res.body.slice(0, 2000)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// OAuth, as a client app plus a person in a browser would do it.

/** POST /api/v1/apps as a form; resolves to the app JSON (client_id, client_secret, ...). */
export async function registerApp(server, {
  clientName = "Groundswell JS tests",
  redirectUri = REDIRECT_URI,
  scopes = "read write follow",
  website = "https://tests.example",
} = {}) {
  const res = await fetch(server.url + "/api/v1/apps", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_name: clientName, redirect_uris: redirectUri, scopes, website }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`POST /api/v1/apps: HTTP ${res.status}: ${text}`);
  return JSON.parse(text);
}

/**
 * Signs `username` in through the login form and approves (or denies) the app, starting from
 * GET /oauth/authorize. Resolves to the final redirect: { location, query } where query holds
 * code (or error) and state.
 */
export async function browserAuthorize(server, {
  app, username, password, scope = "read write", state = "st-" + randomBytes(4).toString("hex"),
  redirectUri = REDIRECT_URI, decision = "approve",
}) {
  const browser = new Browser(server.url);
  const authorizeQuery = new URLSearchParams({
    response_type: "code",
    client_id: app.client_id,
    redirect_uri: redirectUri,
    scope,
    state,
  });

  // 1. No session yet: the server sends the browser to its sign-in page.
  let page = await browser.request("/oauth/authorize?" + authorizeQuery);
  expectStatus(page, [302, 303], "GET /oauth/authorize without a session");
  const signInUrl = new URL(page.location, server.url);
  if (signInUrl.pathname !== "/auth/sign_in") {
    throw new Error(`GET /oauth/authorize without a session redirected to ${page.location}, not /auth/sign_in`);
  }

  // 2. The sign-in page: sets gs_csrf, has the form with csrf_token and return_to.
  page = await browser.request(signInUrl.pathname + signInUrl.search);
  expectStatus(page, [200], "GET /auth/sign_in");
  if (!browser.cookies.has("gs_csrf")) throw new Error("GET /auth/sign_in set no gs_csrf cookie");
  const signIn = findForm(page, "/auth/sign_in", "GET /auth/sign_in");

  // 3. Sign in: 303 back to /oauth/authorize with a gs_session cookie.
  page = await browser.request("/auth/sign_in", {
    method: "POST",
    form: { ...signIn.hidden, username, password },
  });
  expectStatus(page, [303, 302], "POST /auth/sign_in");
  if (!browser.cookies.has("gs_session")) throw new Error("POST /auth/sign_in set no gs_session cookie");
  const back = new URL(page.location, server.url);
  if (back.pathname !== "/oauth/authorize") {
    throw new Error(`POST /auth/sign_in redirected to ${page.location}, not back to /oauth/authorize`);
  }

  // 4. The consent page, now signed in.
  page = await browser.request(back.pathname + back.search);
  expectStatus(page, [200], "GET /oauth/authorize with a session");
  const consent = findForm(page, "/oauth/authorize", "GET /oauth/authorize with a session");

  // 5. Approve (or deny): 302 to redirect_uri?code=...&state=...
  page = await browser.request("/oauth/authorize", {
    method: "POST",
    form: { ...consent.hidden, decision },
  });
  expectStatus(page, [302, 303], "POST /oauth/authorize");
  const location = page.location;
  const query = Object.fromEntries(new URL(location).searchParams);
  return { location, query, browser };
}

/** POST /oauth/token with grant_type=authorization_code; resolves to the token JSON. */
export async function exchangeCode(server, { app, code, redirectUri = REDIRECT_URI }) {
  const res = await fetch(server.url + "/oauth/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: redirectUri,
      client_id: app.client_id,
      client_secret: app.client_secret,
    }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`POST /oauth/token: HTTP ${res.status}: ${text}`);
  return JSON.parse(text);
}

/** The whole authorization-code flow: register an app, sign in, approve, exchange the code. */
export async function authorize(server, { username, password, scope = "read write", appScopes = "read write follow", clientName } = {}) {
  const app = await registerApp(server, { scopes: appScopes, clientName });
  const state = "st-" + randomBytes(4).toString("hex");
  const { query } = await browserAuthorize(server, { app, username, password, scope, state });
  if (query.state !== state) throw new Error(`state came back as ${query.state}, not ${state}`);
  if (!query.code) throw new Error(`no code in the redirect: ${JSON.stringify(query)}`);
  const token = await exchangeCode(server, { app, code: query.code });
  return { app, token, code: query.code };
}

// ---------------------------------------------------------------------------------------------
// Assertions and raw requests shared by the test files.

/** Asserts that `promise` rejects with a MastoHttpError of HTTP `status`; returns the error. */
export async function rejectsWithStatus(promise, status) {
  let error;
  await assert.rejects(promise, (e) => {
    error = e;
    return true;
  });
  assert.ok(error instanceof MastoHttpError, `expected a MastoHttpError, got ${error?.stack ?? error}`);
  assert.equal(error.statusCode, status, `HTTP status (message: ${error.message})`);
  return error;
}

/**
 * A plain fetch of `path` on `server` (with `token` as bearer, `json` as a JSON body).
 * Resolves to { status, headers, text, json } where json is the parsed body, or undefined.
 */
export async function apiRequest(server, path, { method = "GET", token, json, body, headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  if (token) init.headers.authorization = `Bearer ${token}`;
  if (json !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (body !== undefined) {
    init.body = body;
  }
  const res = await fetch(server.url + path, init);
  const text = await res.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: parsed };
}
