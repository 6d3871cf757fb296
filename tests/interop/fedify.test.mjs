// Groundswell federating with an independent ActivityPub implementation: a small Fedify app
// (fedify-actor.mjs, actor `fedi`) and a Groundswell department (user `alice`), each signing
// its fetches and deliveries and verifying the other's, with no shortcut on either side:
// Groundswell requires signed fetch and allows only the Fedify actor's domain; Fedify verifies
// every signed request (fetches too) and, as GoToSocial does, refuses it unless the signer
// maps back to itself through WebFinger; it signs its own fetches.
//
// The steps build on each other and run in order; a step whose predecessor failed fails at
// once, naming it.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";

import { FedifyActor, Groundswell, WAIT_MS, idOf, many, sleep, tempDir } from "./harness.mjs";

const PUBLIC = ["https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"];
const run = randomBytes(4).toString("hex");

let tmp;
let gs;
let fedify;
let alice; // bearer token
let aliceUrl; // her actor id, from WebFinger

/** What both sides logged and what Fedify recorded: appended to every failure. */
async function diagnostics() {
  let state;
  try {
    state = JSON.stringify(await fedify.state(), null, 1);
  } catch (e) {
    state = `(cannot read it: ${e.message})`;
  }
  return [`--- what the Fedify actor recorded ---\n${state}`, gs?.log(60), fedify?.log(60)].join("\n");
}

/** Polls `check` until it returns a value other than undefined/null/false; fails after WAIT_MS. */
async function waitFor(what, check) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** Activities of `type` the Fedify actor received (and verified), as JSON. */
async function received(type) {
  const { received } = await fedify.state();
  return received.map((r) => r.json).filter((a) => a.type === type);
}

const passed = new Set();
/** A step of the story: runs only if `needs` passed; a failure says what both sides saw. */
function step(name, needs, fn) {
  test(name, async () => {
    for (const n of needs) {
      if (!passed.has(n)) throw new Error(`not run: step "${n}" did not pass`);
    }
    try {
      await fn();
    } catch (e) {
      e.message += `\n${await diagnostics()}`;
      throw e;
    }
    passed.add(name);
  });
}

before(async () => {
  tmp = tempDir();
  fedify = await FedifyActor.start(tmp.dir);
  gs = await Groundswell.start(tmp.dir, { peers: [fedify.domain] });
  alice = await gs.userWithToken("alice");
});

after(async () => {
  const errors = [];
  for (const child of [gs, fedify]) {
    try {
      await child?.stop();
    } catch (e) {
      errors.push(e);
    }
  }
  tmp?.remove();
  if (errors.length) throw new AggregateError(errors, "stopping the servers failed");
});

const FOLLOWED = "Fedify follows alice; Groundswell accepts";
step(FOLLOWED, [], async () => {
  // Fedify looks up acct: handles over https only, so the driver does the WebFinger step.
  const res = await fetch(`${gs.url}/.well-known/webfinger?resource=acct:alice@${gs.domain}`);
  assert.equal(res.status, 200, "WebFinger for alice");
  const self = (await res.json()).links.find((l) => l.rel === "self");
  aliceUrl = self?.href;
  assert.equal(aliceUrl, `${gs.url}/users/alice`, "WebFinger self link");

  // Fedify fetches alice (a signed GET: Groundswell refuses unsigned ones) and sends a Follow.
  const { follow } = await fedify.control("POST", "follow", { actor: aliceUrl });
  const accept = await waitFor("Groundswell's Accept of the Follow in the Fedify inbox", async () =>
    (await received("Accept")).find((a) => idOf(a.object) === follow),
  );
  assert.equal(accept.actor, aliceUrl, "the Accept is alice's");

  const me = await gs.api(alice, "GET", "/api/v1/accounts/verify_credentials");
  assert.equal(me.followers_count, 1, "alice's followers_count after the Accept");
  const followers = await gs.api(alice, "GET", `/api/v1/accounts/${me.id}/followers`);
  assert.deepEqual(followers.map((a) => a.acct), [`fedi@${fedify.domain}`], "alice's followers");
  assert.equal(followers[0].url, fedify.actorUrl, "the follower's profile URL");
});

const POSTED = "alice's public post reaches Fedify as a Create of a Note";
step(POSTED, [FOLLOWED], async () => {
  const text = `Hello, Fedify! A public post from Groundswell (${run})`;
  const status = await gs.api(alice, "POST", "/api/v1/statuses", { status: text, visibility: "public" });
  const create = await waitFor("a Create of alice's post in the Fedify inbox", async () =>
    (await received("Create")).find((a) => idOf(a.object) === status.uri),
  );
  assert.equal(create.actor, aliceUrl, "the Create's actor");
  const note = create.object;
  assert.equal(typeof note, "object", "the Note is embedded in the Create");
  assert.equal(note.type, "Note");
  assert.equal(note.attributedTo, aliceUrl, "attributedTo");
  assert.ok(note.content.includes(text), `the Note's content ${JSON.stringify(note.content)} has the text`);
  assert.ok(many(note.to).some((a) => PUBLIC.includes(a)), `public addressing, got to=${JSON.stringify(note.to)}`);

  // Fedify can also fetch the post on its own (signed GET of the Note).
  const fetched = await fedify.control("POST", "lookup", { uri: status.uri });
  assert.equal(fetched.found, true, `Fedify fetches the post: ${JSON.stringify(fetched)}`);
  assert.equal(fetched.type, "Note");
  assert.ok(fetched.json.content.includes(text), "the fetched Note's content");
});

const ROUND_TRIP = "every Groundswell signer survives Fedify's WebFinger round trip";
step(ROUND_TRIP, [FOLLOWED], async () => {
  // Groundswell signs its fetches as the instance actor and deliveries as alice: Fedify has
  // checked both (actor id -> preferredUsername@host -> WebFinger -> the same id) by now.
  const { roundTrips } = await fedify.state();
  const checked = (owner) => roundTrips.filter((r) => r.owner === owner);
  const instance = checked(`${gs.url}/actor`);
  assert.ok(instance.length > 0, `Fedify checked the instance actor: ${JSON.stringify(roundTrips)}`);
  assert.deepEqual(
    instance.find((r) => !r.ok) ?? null,
    null,
    "the instance actor's round trip (GoToSocial: \"error webfingering\")",
  );
  assert.equal(instance[0].acct, `acct:localhost@${gs.domain}`, "the instance actor's acct: its host, then the domain");
  const byAlice = checked(aliceUrl);
  assert.ok(byAlice.length > 0, `Fedify checked alice (her Accept): ${JSON.stringify(roundTrips)}`);
  assert.deepEqual(byAlice.find((r) => !r.ok) ?? null, null, "alice's round trip");
  assert.equal(byAlice[0].acct, `acct:alice@${gs.domain}`);
});

step("Fedify refuses a signer WebFinger does not know, as GoToSocial does", [], async () => {
  // The check itself must bite: `ghost` is a served actor with a key but no WebFinger, which
  // is what Groundswell's instance actor looked like before.
  const res = await fedify.control("POST", "fetch", { uri: fedify.actorUrl, as: "ghost" });
  assert.equal(res.status, 401, `a GET signed as ghost: ${res.body}`);
  assert.match(res.body, /round-trip through WebFinger/);
});

const FOLLOWED_BACK = "alice follows Fedify back; Fedify accepts";
step(FOLLOWED_BACK, [FOLLOWED], async () => {
  const acct = `fedi@${fedify.domain}`;
  const search = await gs.api(alice, "GET", `/api/v2/search?q=${encodeURIComponent("@" + acct)}&resolve=true&type=accounts`);
  const fedi = search.accounts.find((a) => a.acct === acct);
  assert.ok(fedi, `search resolves @${acct}: ${JSON.stringify(search.accounts)}`);
  assert.equal(fedi.username, "fedi");
  assert.equal(fedi.display_name, "Fedify interop actor", "the display name from Fedify's Person");

  await gs.api(alice, "POST", `/api/v1/accounts/${fedi.id}/follow`);
  const follow = await waitFor("alice's Follow in the Fedify inbox", async () =>
    (await received("Follow")).find((a) => a.actor === aliceUrl),
  );
  assert.equal(idOf(follow.object), fedify.actorUrl, "the Follow's object is the Fedify actor");

  const relationship = await waitFor("Groundswell to show alice following the Fedify actor", async () => {
    const [rel] = await gs.api(alice, "GET", `/api/v1/accounts/relationships?id[]=${fedi.id}`);
    return rel.following ? rel : null;
  });
  assert.equal(relationship.requested, false, "no pending request once Fedify accepted");
  assert.equal(relationship.followed_by, true, "the Fedify actor still follows alice");
  const { sent } = await fedify.state();
  assert.ok(
    sent.some((s) => s.type === "Accept" && s.to === aliceUrl),
    `Fedify sent its Accept to alice: ${JSON.stringify(sent)}`,
  );
  assert.deepEqual(await fedify.control("GET", "followers"), [aliceUrl], "Fedify's followers of fedi");
  const me = await gs.api(alice, "GET", "/api/v1/accounts/verify_credentials");
  assert.equal(me.following_count, 1, "alice's following_count");
});

const FEDIFY_POSTED = "Fedify's public post reaches alice's home timeline";
step(FEDIFY_POSTED, [FOLLOWED_BACK], async () => {
  const text = `Hello, Groundswell! A post from Fedify (${run})`;
  const { note } = await fedify.control("POST", "post", { content: `<p>${text}</p>` });
  const status = await waitFor("the Fedify post in alice's home timeline", async () =>
    (await gs.api(alice, "GET", "/api/v1/timelines/home?limit=40")).find((s) => s.uri === note),
  );
  assert.equal(status.account.acct, `fedi@${fedify.domain}`, "the post's author");
  assert.equal(status.visibility, "public");
  assert.ok(status.content.includes(text), `the post's content ${JSON.stringify(status.content)}`);
});

const LOCAL = "a department-only post never reaches Fedify";
step(LOCAL, [POSTED], async () => {
  const secret = `Department only, do not federate (${run})`;
  const local = await gs.api(alice, "POST", "/api/v1/statuses", { status: secret, visibility: "local" });
  assert.equal(local.local_only, true, "Groundswell took the post as department-only");
  // Deliveries to one department go out in order: once a later public post has arrived, the
  // department-only one would have too.
  const marker = `A public post after the department-only one (${run})`;
  const later = await gs.api(alice, "POST", "/api/v1/statuses", { status: marker, visibility: "public" });
  await waitFor("the later public post in the Fedify inbox", async () =>
    (await received("Create")).find((a) => idOf(a.object) === later.uri),
  );
  const { received: all } = await fedify.state();
  const leaks = all.filter((r) => {
    const text = JSON.stringify(r.json);
    return text.includes(local.uri) || text.includes(secret);
  });
  assert.deepEqual(leaks, [], "nothing the Fedify actor received mentions the department-only post");

  // Nor is it served to the Fedify actor's signed GET, which gets the public post.
  const publicGet = await fedify.control("POST", "fetch", { uri: later.uri });
  assert.equal(publicGet.status, 200, `Fedify's signed GET of the public post: ${publicGet.body}`);
  const localGet = await fedify.control("POST", "fetch", { uri: local.uri });
  assert.equal(localGet.status, 404, `Fedify's signed GET of the department-only post: ${localGet.body}`);
});

step("Fedify unfollows alice; Groundswell drops the follower", [FOLLOWED], async () => {
  await fedify.control("POST", "unfollow", { actor: aliceUrl });
  const me = await waitFor("alice's followers_count to drop to 0", async () => {
    const me = await gs.api(alice, "GET", "/api/v1/accounts/verify_credentials");
    return me.followers_count === 0 ? me : null;
  });
  assert.deepEqual(await gs.api(alice, "GET", `/api/v1/accounts/${me.id}/followers`), [], "alice's followers");
});

step("Fedify verified every delivery and handled it without error", [FOLLOWED], async () => {
  const { unverified, errors, refused } = await fedify.state();
  assert.deepEqual(unverified, [], "deliveries whose signature Fedify could not verify");
  assert.deepEqual(errors, [], "errors in Fedify's inbox listeners");
  assert.deepEqual(
    refused.filter((r) => r.owner !== `${fedify.url}/users/ghost`),
    [],
    "Groundswell's signed requests Fedify refused (failed verification or WebFinger round trip)",
  );
});
