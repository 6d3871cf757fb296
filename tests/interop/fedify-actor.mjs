// A minimal ActivityPub server built with Fedify, an independent implementation, for the
// interop test. It has one actor, `fedi`, and does what a small Fedify app does: serves its
// actor (with an RSA key for HTTP signatures and an Ed25519 key for object proofs),
// WebFinger, a followers collection and the notes it publishes; accepts every Follow;
// verifies the signature of everything its inboxes (personal and shared) receive; signs its
// own fetches as `fedi`.
//
// It is as strict as GoToSocial about who signs: every signed request it receives (a GET as
// well as a delivery) is verified, and the key's owner must survive the WebFinger round trip
// (actor id -> preferredUsername@host -> WebFinger -> the same actor id), else the request is
// refused with 401. GoToSocial answers such requests with an error ("error webfingering"), and
// Mastodon requires the same mapping of every actor to an acct: URI.
//
// A second actor, `ghost`, is served with keys of its own but has no WebFinger (as
// Groundswell's instance actor had none): requests signed as ghost must be refused.
//
//   node fedify-actor.mjs --port PORT
//
// Listens on 127.0.0.1:PORT; its public origin is http://localhost:PORT. Prints one line,
// `ready http://localhost:PORT`, on stdout once it listens. Logs go to stderr.
//
// A control API for the test driver lives under /_control/ (never federated):
//   GET  /_control/inbox     {received, unverified, errors, sent}: everything recorded so far
//   GET  /_control/followers the ids of fedi's followers
//   POST /_control/follow    {"actor": URL}: fetch that actor (signed) and send it a Follow;
//                            answers {"follow": id of the Follow}
//   POST /_control/unfollow  {"actor": URL}: send that actor an Undo of fedi's Follow;
//                            answers {"undo": id of the Undo}
//   POST /_control/post      {"content": HTML}: publish a public Note, sent to fedi's followers;
//                            answers {"create": id of the Create, "note": id of the Note}
//   POST /_control/lookup    {"uri": URL}: look an object up as Fedify apps do (fetches signed
//                            as fedi); answers {"found": false, "error"?} or
//                            {"found": true, "type", "id", "json"}
//   POST /_control/fetch     {"uri": URL, "as"?: "fedi"|"ghost"}: one GET signed as that actor
//                            (draft-cavage, no retry with another spec), to see the answer's
//                            status; answers {"status", "body"}
//
// GET /_control/inbox also reports the strict checks: `roundTrips` (each key owner checked:
// {owner, acct, ok, reason?}) and `refused` (requests refused because the round trip failed:
// {method, url, owner, reason}).

import { AsyncLocalStorage } from "node:async_hooks";
import { createServer } from "node:http";
import { Writable } from "node:stream";
import { parseArgs } from "node:util";

import { Temporal } from "@js-temporal/polyfill";
import { configure, getStreamSink } from "@logtape/logtape";
import {
  createFederation,
  generateCryptoKeyPair,
  MemoryKvStore,
  signRequest,
  verifyRequestDetailed,
} from "@fedify/fedify";
import {
  Accept,
  Activity,
  Create,
  Endpoints,
  Follow,
  isActor,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Undo,
} from "@fedify/vocab";

const { values: args } = parseArgs({
  options: { port: { type: "string" }, "log-level": { type: "string", default: "info" } },
});
const port = Number(args.port);
if (!Number.isInteger(port) || port <= 0) {
  console.error("usage: node fedify-actor.mjs --port PORT [--log-level debug|info|warning]");
  process.exit(2);
}
const ORIGIN = `http://localhost:${port}`;
const ME = "fedi";
const GHOST = "ghost"; // served, signs, but WebFinger does not know it

await configure({
  sinks: { stderr: getStreamSink(Writable.toWeb(process.stderr)) },
  contextLocalStorage: new AsyncLocalStorage(),
  loggers: [
    { category: "fedify", sinks: ["stderr"], lowestLevel: args["log-level"] },
    { category: ["logtape", "meta"], sinks: ["stderr"], lowestLevel: "warning" },
  ],
});

// What the test driver reads back.
const state = {
  received: [], // verified activities, as JSON-LD, with the inbox that got them
  unverified: [], // deliveries refused because their signature did not verify
  errors: [], // errors thrown by inbox listeners
  sent: [], // activities fedi sent: {type, id, to}
  roundTrips: [], // WebFinger round trips of key owners: {owner, acct, ok, reason}
  refused: [], // signed requests refused for a failed round trip: {method, url, owner, reason}
};
const followers = new Map(); // follower actor id -> its inbox (for the collection)
const following = new Map(); // followed actor id -> {actor, follow} (to undo the Follow)
const notes = new Map(); // id -> Note fedi published (served at its id)

// RSA for HTTP signatures, Ed25519 for object integrity proofs, as Fedify recommends. The RSA
// key is 2048 bits (as Mastodon's) rather than generateCryptoKeyPair's 4096, which takes
// seconds to make on a busy machine.
const rsaKey = () =>
  crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
const keys = [await rsaKey(), await generateCryptoKeyPair("Ed25519")];
const ghostKeys = [await rsaKey()];

const federation = createFederation({
  kv: new MemoryKvStore(),
  origin: ORIGIN,
  // Everything here is on loopback, which Fedify refuses unless told this is a test.
  allowPrivateAddress: true,
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== ME && identifier !== GHOST) return null;
    const pairs = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: identifier === ME ? "Fedify interop actor" : "An actor WebFinger does not know",
      summary: "An independent ActivityPub implementation, here to test Groundswell.",
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      followers: ctx.getFollowersUri(identifier),
      manuallyApprovesFollowers: false,
      publicKey: pairs[0].cryptographicKey,
      assertionMethods: pairs.map((p) => p.multikey),
    });
  })
  .mapHandle((_ctx, username) => (username === ME ? ME : null))
  .setKeyPairsDispatcher((_ctx, identifier) =>
    identifier === ME ? keys : identifier === GHOST ? ghostKeys : [],
  );

federation
  .setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) => {
    if (identifier !== ME) return null;
    return {
      items: [...followers].map(([id, inbox]) => ({ id: new URL(id), inboxId: new URL(inbox) })),
    };
  })
  .setCounter((_ctx, identifier) => (identifier === ME ? followers.size : null));

async function record(ctx, activity) {
  const json = await activity.toJsonLd({ contextLoader: ctx.contextLoader });
  state.received.push({ inbox: ctx.recipient == null ? "shared" : ctx.recipient, json });
}

async function send(ctx, recipient, activity) {
  await ctx.sendActivity({ identifier: ME }, recipient, activity);
  state.sent.push({ type: activity.constructor.name, id: activity.id?.href, to: recipient.id?.href });
}

federation.setObjectDispatcher(Note, "/notes/{id}", (_ctx, { id }) => notes.get(id) ?? null);

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  // Fetches made while handling a delivery to the shared inbox (the sender's key, its actor)
  // are signed as fedi, as servers that require signed fetch want.
  .setSharedKeyDispatcher(() => ({ identifier: ME }))
  .on(Follow, async (ctx, follow) => {
    await record(ctx, follow);
    if (follow.id == null || follow.actorId == null || follow.objectId == null) return;
    const target = ctx.parseUri(follow.objectId);
    if (target?.type !== "actor" || target.identifier !== ME) return;
    const follower = await follow.getActor(ctx);
    if (!isActor(follower) || follower.inboxId == null) {
      throw new Error(`cannot fetch the follower ${follow.actorId.href}`);
    }
    followers.set(follower.id.href, follower.inboxId.href);
    await send(
      ctx,
      follower,
      new Accept({
        id: new URL(`#accepts/${crypto.randomUUID()}`, ctx.getActorUri(ME)),
        actor: ctx.getActorUri(ME),
        object: follow,
      }),
    );
  })
  .on(Undo, async (ctx, undo) => {
    await record(ctx, undo);
    const object = await undo.getObject(ctx);
    if (object instanceof Follow && undo.actorId != null) followers.delete(undo.actorId.href);
  })
  .on(Accept, record)
  .on(Create, record)
  .on(Activity, record)
  .onUnverifiedActivity((_ctx, activity, reason) => {
    state.unverified.push({
      id: activity?.id?.href ?? null,
      type: activity?.constructor?.name ?? null,
      reason: JSON.stringify(reason, (k, v) => (v instanceof Error ? String(v) : v)),
    });
    // Undefined: Fedify answers 401 as it would without this hook.
  })
  .onError((_ctx, error) => {
    state.errors.push(String(error?.stack ?? error));
  });

// ---------------------------------------------------------------------------------------------
// The control API for the driver.

function json(body, status = 200) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

async function control(request) {
  const path = new URL(request.url).pathname;
  const ctx = federation.createContext(new URL(ORIGIN), undefined);
  const documentLoader = await ctx.getDocumentLoader({ identifier: ME });
  if (request.method === "GET" && path === "/_control/inbox") return json(state);
  if (request.method === "GET" && path === "/_control/followers") return json([...followers.keys()]);
  if (request.method === "POST" && path === "/_control/follow") {
    const { actor: uri } = await request.json();
    const actor = await ctx.lookupObject(uri, { documentLoader });
    if (!isActor(actor)) return json({ error: `no actor at ${uri} (got ${actor})` }, 502);
    const follow = new Follow({
      id: new URL(`#follows/${crypto.randomUUID()}`, ctx.getActorUri(ME)),
      actor: ctx.getActorUri(ME),
      object: actor.id,
    });
    await send(ctx, actor, follow);
    following.set(actor.id.href, { actor, follow });
    return json({ follow: follow.id.href });
  }
  if (request.method === "POST" && path === "/_control/unfollow") {
    const { actor: uri } = await request.json();
    const followed = following.get(uri);
    if (followed == null) return json({ error: `fedi does not follow ${uri}` }, 409);
    const undo = new Undo({
      id: new URL(`#undos/${crypto.randomUUID()}`, ctx.getActorUri(ME)),
      actor: ctx.getActorUri(ME),
      object: followed.follow,
    });
    await send(ctx, followed.actor, undo);
    following.delete(uri);
    return json({ undo: undo.id.href });
  }
  if (request.method === "POST" && path === "/_control/post") {
    const { content } = await request.json();
    const id = crypto.randomUUID();
    const note = new Note({
      id: ctx.getObjectUri(Note, { id }),
      attribution: ctx.getActorUri(ME),
      to: PUBLIC_COLLECTION,
      cc: ctx.getFollowersUri(ME),
      content,
      mediaType: "text/html",
      published: Temporal.Now.instant(),
    });
    notes.set(id, note);
    const create = new Create({
      id: new URL("#create", note.id),
      actor: ctx.getActorUri(ME),
      to: PUBLIC_COLLECTION,
      cc: ctx.getFollowersUri(ME),
      object: note,
    });
    await ctx.sendActivity({ identifier: ME }, "followers", create);
    state.sent.push({ type: "Create", id: create.id.href, to: "followers" });
    return json({ create: create.id.href, note: note.id.href });
  }
  if (request.method === "POST" && path === "/_control/lookup") {
    const { uri } = await request.json();
    let object;
    try {
      object = await ctx.lookupObject(uri, { documentLoader });
    } catch (error) {
      return json({ found: false, error: String(error) });
    }
    if (object == null) return json({ found: false });
    return json({
      found: true,
      type: object.constructor.name,
      id: object.id?.href ?? null,
      json: await object.toJsonLd({ contextLoader: ctx.contextLoader }),
    });
  }
  if (request.method === "POST" && path === "/_control/fetch") {
    const { uri, as = ME } = await request.json();
    const [{ privateKey, keyId }] = await ctx.getActorKeyPairs(as);
    const signed = await signRequest(
      new Request(uri, { headers: { accept: "application/activity+json" } }),
      privateKey,
      keyId,
      { spec: "draft-cavage-http-signatures-12" },
    );
    const res = await fetch(signed, { redirect: "manual" });
    return json({ status: res.status, body: await res.text() });
  }
  return json({ error: `no control endpoint ${request.method} ${path}` }, 404);
}

// ---------------------------------------------------------------------------------------------
// The WebFinger round trip of every signer, as GoToSocial requires it.

/**
 * Whether the actor `owner` maps back to itself: its document's preferredUsername and the
 * host of its id make `acct:user@host`, whose WebFinger `self` link must be `owner` again (and
 * the subject that acct). Resolves to {acct, reason}; reason is null when it does.
 */
async function roundTrip(ctx, owner) {
  const documentLoader = await ctx.getDocumentLoader({ identifier: ME });
  let actor;
  try {
    actor = await ctx.lookupObject(owner, { documentLoader });
  } catch (error) {
    return { acct: null, reason: `cannot fetch ${owner.href}: ${error}` };
  }
  if (!isActor(actor)) return { acct: null, reason: `${owner.href} is not an actor` };
  if (actor.id?.href !== owner.href) {
    return { acct: null, reason: `${owner.href} says its id is ${actor.id?.href}` };
  }
  const user = actor.preferredUsername;
  if (typeof user !== "string" || user === "") {
    return { acct: null, reason: `${owner.href} has no preferredUsername` };
  }
  const acct = `acct:${user}@${owner.host}`;
  const fail = (reason) => ({ acct, reason: `WebFinger ${acct}: ${reason}` });
  // Fedify's lookupWebFinger asks https only; the peers here speak http, so fetch it plainly
  // on the actor's own scheme and host.
  const url = new URL(`${owner.protocol}//${owner.host}/.well-known/webfinger`);
  url.searchParams.set("resource", acct);
  let res;
  try {
    res = await fetch(url, { headers: { accept: "application/jrd+json" }, redirect: "manual" });
  } catch (error) {
    return fail(String(error));
  }
  const text = await res.text();
  if (res.status !== 200) return fail(`HTTP ${res.status} ${text.slice(0, 200)}`);
  let jrd;
  try {
    jrd = JSON.parse(text);
  } catch {
    return fail(`not JSON: ${text.slice(0, 200)}`);
  }
  if (jrd.subject !== acct) return fail(`the subject is ${jrd.subject}`);
  const self = (jrd.links ?? []).find(
    (l) => l.rel === "self" && /^application\/(activity|ld)\+json/.test(l.type ?? ""),
  );
  if (self?.href !== owner.href) return fail(`self is ${self?.href}, not ${owner.href}`);
  return { acct, reason: null };
}

/**
 * The strict check of a signed request to an ActivityPub endpoint: null to let it through, or
 * a 401 Response. Unsigned requests pass (Fedify serves its actor unsigned); a delivery whose
 * signature does not verify is left to Fedify, which refuses and records it. The round trip is
 * made for every request, not cached: stricter than GoToSocial, which checks when it first
 * stores an actor.
 */
async function refuseUnlessSignerRoundTrips(request) {
  const signature = request.headers.get("signature-input") ?? request.headers.get("signature");
  if (signature == null) return null;
  // WebFinger and NodeInfo are public discovery: GoToSocial and Mastodon do not authenticate
  // them (and Fedify's draft-cavage verifier leaves the query out of (request-target), so a
  // signed `?resource=` lookup would not verify anyway).
  const { pathname } = new URL(request.url);
  if (pathname.startsWith("/.well-known/") || pathname.startsWith("/nodeinfo/")) return null;
  // Fedify's own document loader signs as fedi, also when it asks this server (for ghost's
  // key, say): checking fedi's own requests would recurse forever.
  const keyId = /keyid="([^"]*)"/i.exec(signature)?.[1];
  if (keyId != null && keyId.startsWith(`${ORIGIN}/users/${ME}#`)) return null;
  const ctx = federation.createContext(new URL(ORIGIN), undefined);
  const documentLoader = await ctx.getDocumentLoader({ identifier: ME });
  const verified = await verifyRequestDetailed(request.clone(), {
    documentLoader,
    contextLoader: ctx.contextLoader,
  });
  const url = new URL(request.url);
  const refuse = (owner, reason) => {
    state.refused.push({ method: request.method, url: url.href, owner, reason });
    console.error(`fedify-actor: refused ${request.method} ${url.pathname}: ${reason}`);
    return new Response(`refused: ${reason}\n`, { status: 401, headers: { "content-type": "text/plain" } });
  };
  if (!verified.verified) {
    if (request.method === "POST") return null;
    const why = verified.reason;
    const detail =
      why.type === "keyFetchError"
        ? `cannot fetch the key ${why.keyId.href}: ${"status" in why.result ? `HTTP ${why.result.status}` : why.result.error}`
        : why.type;
    return refuse(null, `the signature does not verify (${detail})`);
  }
  const key = verified.key;
  const owner = key.ownerId;
  if (owner == null) return refuse(null, `the key ${key.id?.href} names no owner`);
  const { acct, reason } = await roundTrip(ctx, owner);
  state.roundTrips.push({ owner: owner.href, acct, ok: reason == null, ...(reason == null ? {} : { reason }) });
  if (reason != null) return refuse(owner.href, `the signer does not round-trip through WebFinger: ${reason}`);
  return null;
}

// ---------------------------------------------------------------------------------------------
// node:http <-> fetch Request/Response.

async function toRequest(req) {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value != null) headers.set(name, value);
  }
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = chunks.length ? Buffer.concat(chunks) : undefined;
  const url = new URL(req.url, `http://${req.headers.host ?? `localhost:${port}`}`);
  return new Request(url, { method: req.method, headers, body: ["GET", "HEAD"].includes(req.method) ? undefined : body });
}

const server = createServer(async (req, res) => {
  try {
    const request = await toRequest(req);
    const response = new URL(request.url).pathname.startsWith("/_control/")
      ? await control(request)
      : ((await refuseUnlessSignerRoundTrips(request)) ??
        (await federation.fetch(request, { contextData: undefined })));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (error) {
    console.error(`fedify-actor: ${req.method} ${req.url} failed:`, error);
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
    res.end(String(error?.stack ?? error));
  }
});

server.listen(port, "127.0.0.1", () => {
  process.stdout.write(`ready ${ORIGIN}\n`);
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
