// Processes for the interop test: a Groundswell server (the binary named by $GROUNDSWELL_BIN,
// fresh SQLite database in a temp dir) and the Fedify actor (fedify-actor.mjs), each on a free
// port of 127.0.0.1 and known to the other as localhost:PORT (the federation library needs a
// host name, not an address). Each child's output goes to a log file that failure messages
// quote. stop() ends a child with SIGTERM (SIGKILL after a while); children still running when
// the test process exits (or is interrupted) are killed, and its temp dirs removed, by an exit
// hook.

import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));

export const BIN = process.env.GROUNDSWELL_BIN ?? resolve(HERE, "../../target/debug/groundswell");

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
/** How long to wait for something to cross the wire before failing. */
export const WAIT_MS = 20_000;

export const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** Children not yet stopped, killed if the test process exits first; temp dirs to remove. */
const live = new Set();
const dirs = new Set();
function cleanupSync() {
  for (const child of live) child.killSync();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
process.on("exit", cleanupSync);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    cleanupSync();
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

/** Our environment without any GROUNDSWELL_* variable, plus `vars`. */
function childEnv(vars) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("GROUNDSWELL_")) env[key] = value;
  }
  return { ...env, ...vars };
}

/** The last `lines` lines of a log file (or a note that there is none). */
function tail(path, lines = 80) {
  try {
    const all = readFileSync(path, "utf8").trimEnd().split("\n");
    return all.slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

class Child {
  constructor(name, dir, port) {
    this.name = name;
    this.dir = dir;
    this.port = port;
    this.domain = `localhost:${port}`;
    this.url = `http://${this.domain}`;
    this.logPath = join(dir, `${name}.log`);
    this.proc = null;
    this.exited = null;
  }

  spawn(command, args, env) {
    const fd = openSync(this.logPath, "a");
    try {
      this.proc = spawn(command, args, { cwd: this.dir, env, stdio: ["ignore", fd, fd] });
    } finally {
      closeSync(fd);
    }
    live.add(this);
    this.exited = new Promise((ok) => {
      this.proc.once("exit", (code, signal) => ok({ code, signal }));
      this.proc.once("error", (error) => ok({ code: null, signal: null, error: String(error) }));
    });
  }

  log(lines) {
    return `--- last lines of the ${this.name} log (${this.logPath}) ---\n${tail(this.logPath, lines)}`;
  }

  /** Poll `path` until it answers 200. */
  async waitReady(path) {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let exited = null;
    this.exited.then((status) => (exited = status));
    while (Date.now() < deadline) {
      if (exited) throw new Error(`${this.name} exited before it was ready (${JSON.stringify(exited)})\n${this.log()}`);
      try {
        const res = await fetch(`http://127.0.0.1:${this.port}${path}`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    throw new Error(`${this.name} was not ready within ${READY_TIMEOUT_MS} ms\n${this.log()}`);
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill("SIGTERM");
      let timer;
      const timeout = new Promise((ok) => (timer = setTimeout(ok, STOP_TIMEOUT_MS, "timeout")));
      const outcome = await Promise.race([this.exited, timeout]);
      clearTimeout(timer);
      if (outcome === "timeout") {
        this.proc.kill("SIGKILL");
        await this.exited;
        live.delete(this);
        throw new Error(`${this.name} ignored SIGTERM for ${STOP_TIMEOUT_MS} ms; killed`);
      }
    }
    live.delete(this);
  }

  killSync() {
    try {
      if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGKILL");
    } catch {}
    live.delete(this);
  }
}

/** A temp dir for one run's databases and logs; removed by `remove()`, or at exit. */
export function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), "gs-interop-"));
  dirs.add(dir);
  return {
    dir,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Groundswell

export class Groundswell extends Child {
  /** `groundswell serve` on a fresh SQLite database, federating with `peers` only. */
  static async start(dir, { peers }) {
    const gs = new Groundswell("groundswell", dir, await freePort());
    gs.env = childEnv({
      GROUNDSWELL_INSTANCE__DOMAIN: gs.domain,
      GROUNDSWELL_HTTP__BIND: `127.0.0.1:${gs.port}`,
      GROUNDSWELL_DATABASE__URL: `sqlite://${dir}/groundswell.sqlite3`,
      GROUNDSWELL_STORAGE__DATA_DIR: join(dir, "data"),
      GROUNDSWELL_FEDERATION__ALLOWED_DOMAINS: peers.join(","),
      GROUNDSWELL_FEDERATION__ALLOW_HTTP: "true",
      GROUNDSWELL_FEDERATION__MAX_RETRY_INTERVAL_SECS: "1",
      GROUNDSWELL_LOG__LEVEL: "info",
    });
    gs.spawn(BIN, ["serve"], gs.env);
    await gs.waitReady("/readyz");
    return gs;
  }

  /** Runs `groundswell ARGS...` on this server's database; resolves to its stdout. */
  cli(args, { stdin = "" } = {}) {
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
      child.stdin.end(stdin);
    });
  }

  /** Creates a local user and returns a bearer token with `scopes`. */
  async userWithToken(username, scopes = "read write follow") {
    await this.cli(["admin", "create-user", username, "--email", `${username}@eng.corp.example`, "--no-password"]);
    const token = (await this.cli(["admin", "issue-token", username, "--scopes", scopes])).trim();
    if (!token || /\s/.test(token)) throw new Error(`unexpected issue-token output: ${JSON.stringify(token)}`);
    return token;
  }

  /** A Mastodon API call as the holder of `token`; resolves to the JSON body (fails on non-2xx). */
  async api(token, method, path, json) {
    const init = { method, headers: { authorization: `Bearer ${token}` } };
    if (json !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(json);
    }
    const res = await fetch(this.url + path, init);
    const text = await res.text();
    if (!res.ok) throw new Error(`Groundswell ${method} ${path}: HTTP ${res.status}: ${text}`);
    return JSON.parse(text);
  }
}

// ---------------------------------------------------------------------------------------------
// The Fedify actor

export class FedifyActor extends Child {
  static async start(dir) {
    const fedify = new FedifyActor("fedify", dir, await freePort());
    fedify.actorUrl = `${fedify.url}/users/fedi`;
    fedify.spawn(process.execPath, [join(HERE, "fedify-actor.mjs"), "--port", String(fedify.port)], childEnv({}));
    await fedify.waitReady("/_control/inbox");
    return fedify;
  }

  /** A call to the actor's control API; resolves to the JSON body (fails on non-2xx). */
  async control(method, path, json) {
    const init = { method, headers: {} };
    if (json !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(json);
    }
    const res = await fetch(`http://127.0.0.1:${this.port}/_control/${path}`, init);
    const text = await res.text();
    if (!res.ok) throw new Error(`Fedify control ${method} ${path}: HTTP ${res.status}: ${text}`);
    return JSON.parse(text);
  }

  /** {received, unverified, errors, sent}: what the actor recorded so far. */
  state() {
    return this.control("GET", "inbox");
  }
}

/** The id of an ActivityStreams reference: a string, or an object's `id`. */
export function idOf(ref) {
  return typeof ref === "string" ? ref : ref?.id;
}

/** A list of a JSON-LD value that may be one item or several. */
export function many(value) {
  return value == null ? [] : Array.isArray(value) ? value : [value];
}
