// What a Mastodon app does all day, through masto.js against a real Groundswell server, on
// SQLite and on PostgreSQL: following, posting (mentions, hashtags, links), the home timeline
// and its Link-header pagination, favourites, boosts, notifications, threads, visibility,
// edits, deletion and the API's errors. Run: node --test (see run.sh).
//
// The tests of one backend share a server and run in order: alice, bob and carol are created
// once, bob follows alice in the first test, and later tests build on the statuses and
// notifications the earlier ones made.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { createRestAPIClient } from "masto";

import { BACKENDS, apiRequest, authorize, decodeEntities, rejectsWithStatus, startServer } from "./harness.mjs";

const PASSWORD = "correct horse battery staple";
const HELLO = "Hello @bob #Launch https://example.com";

/** The <a> elements of an HTML fragment: [{ href, classes, rel, text }]. */
function anchors(html) {
  return [...html.matchAll(/<a\b([^>]*)>([\s\S]*?)<\/a>/gi)].map((m) => {
    const attrs = {};
    for (const a of m[1].matchAll(/([a-zA-Z_:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      attrs[a[1].toLowerCase()] = decodeEntities(a[2] ?? a[3]);
    }
    return {
      href: attrs.href,
      classes: (attrs.class ?? "").split(/\s+/).filter(Boolean),
      rel: (attrs.rel ?? "").split(/\s+/).filter(Boolean),
      text: plainText(m[2]),
    };
  });
}

/** The text of an HTML fragment, tags dropped and entities decoded. */
function plainText(html) {
  return decodeEntities(html.replace(/<[^>]*>/g, ""));
}

const ids = (statuses) => statuses.map((s) => s.id);

/** Calls `probe` until `ready(result)` (notifications may be made after the response). */
async function eventually(probe, ready, { timeoutMs = 3000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await probe();
    if (ready(result) || Date.now() > deadline) return result;
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

for (const backend of BACKENDS) {
  describe(`masto.js statuses on ${backend}`, () => {
    let server;
    const users = {}; // name -> { client, token, account }
    const posts = {}; // what earlier tests made, for later ones

    before(async () => {
      server = await startServer({ backend });
      for (const name of ["alice", "bob", "carol"]) {
        await server.createUser(name, { password: PASSWORD });
      }
      // alice signs in through the OAuth browser flow, like an app; bob and carol get tokens
      // from the admin CLI.
      const { token } = await authorize(server, {
        username: "alice",
        password: PASSWORD,
        scope: "read write follow",
      });
      const tokens = {
        alice: token.access_token,
        bob: await server.issueToken("bob", "read write follow"),
        carol: await server.issueToken("carol", "read write follow"),
      };
      for (const [name, token] of Object.entries(tokens)) {
        const client = createRestAPIClient({ url: server.url, accessToken: token });
        const account = await client.v1.accounts.verifyCredentials();
        assert.equal(account.username, name);
        users[name] = { client, token, account };
      }
    });

    after(async () => {
      await server?.stop();
    });

    test("bob follows alice; alice posts a mention, a hashtag and a link", async () => {
      const { alice, bob } = users;

      const relationship = await bob.client.v1.accounts.$select(alice.account.id).follow();
      assert.equal(relationship.id, alice.account.id);
      assert.equal(relationship.following, true);
      assert.equal(relationship.requested, false);

      const [fromBob] = await bob.client.v1.accounts.relationships.fetch({ id: [alice.account.id] });
      assert.equal(fromBob.id, alice.account.id);
      assert.equal(fromBob.following, true);
      assert.equal(fromBob.followedBy, false);
      const [fromAlice] = await alice.client.v1.accounts.relationships.fetch({ id: [bob.account.id] });
      assert.equal(fromAlice.following, false);
      assert.equal(fromAlice.followedBy, true);

      const status = await alice.client.v1.statuses.create({
        status: HELLO,
        visibility: "public",
        language: "en",
      });
      posts.hello = status;
      assert.equal(status.account.id, alice.account.id);
      assert.equal(status.account.acct, "alice");
      assert.equal(status.visibility, "public");
      assert.equal(status.language, "en");
      assert.equal(status.inReplyToId, null);
      assert.equal(status.editedAt, null);
      assert.equal(status.favouritesCount, 0);
      assert.equal(status.reblogsCount, 0);
      assert.equal(status.repliesCount, 0);
      assert.equal(status.favourited, false);
      assert.equal(status.reblogged, false);

      // The HTML: one paragraph whose text is what alice typed, with three links in it.
      assert.match(status.content, /^<p>[\s\S]*<\/p>$/, status.content);
      assert.equal(plainText(status.content), HELLO, status.content);
      const links = anchors(status.content);
      assert.equal(links.length, 3, status.content);
      const [mention, hashtag, link] = links;
      assert.equal(mention.href, bob.account.url, status.content);
      assert.ok(mention.classes.includes("u-url") && mention.classes.includes("mention"), status.content);
      assert.equal(mention.text, "@bob");
      assert.ok(hashtag.classes.includes("hashtag"), status.content);
      assert.ok(hashtag.rel.includes("tag"), status.content);
      assert.equal(new URL(hashtag.href).origin, server.url, status.content);
      assert.match(new URL(hashtag.href).pathname, /^\/tags\/launch$/i, status.content);
      assert.equal(hashtag.text, "#Launch");
      assert.equal(link.href, "https://example.com", status.content);
      assert.ok(link.rel.includes("nofollow") && link.rel.includes("noopener"), status.content);
      assert.equal(link.text, "https://example.com");

      assert.equal(status.mentions.length, 1);
      assert.equal(status.mentions[0].acct, "bob");
      assert.equal(status.mentions[0].username, "bob");
      assert.equal(status.mentions[0].id, bob.account.id);
      assert.equal(status.mentions[0].url, bob.account.url);
      assert.equal(status.tags.length, 1);
      assert.equal(status.tags[0].name, "launch");
      assert.match(new URL(status.tags[0].url).pathname, /^\/tags\/launch$/i);

      // Anyone reading it sees the same status.
      const seen = await bob.client.v1.statuses.$select(status.id).fetch();
      assert.equal(seen.id, status.id);
      assert.equal(seen.content, status.content);
    });

    test("bob's home timeline, paginated through the Link header", async () => {
      const { alice, bob } = users;
      const first = await bob.client.v1.timelines.home.list({ limit: 20 });
      assert.deepEqual(ids(first), [posts.hello.id], "bob's home holds alice's post");

      const updates = [];
      for (let i = 1; i <= 5; i++) {
        updates.push(await alice.client.v1.statuses.create({ status: `Update ${i}`, visibility: "public" }));
      }
      const expected = [...ids(updates).reverse(), posts.hello.id];

      // masto's paginator follows rel="next" until a response has none.
      const seen = [];
      const pages = [];
      for await (const page of bob.client.v1.timelines.home.list({ limit: 2 })) {
        pages.push(ids(page));
        assert.ok(page.length <= 2, `a page of ${page.length} statuses for limit=2: ${JSON.stringify(pages)}`);
        seen.push(...ids(page));
        assert.ok(pages.length <= 5, `still paginating after 5 pages: ${JSON.stringify(pages)}`);
      }
      assert.deepEqual(seen, expected, `pages: ${JSON.stringify(pages)}`);

      // The header itself: next goes below the page (max_id), prev above it (min_id).
      const res = await apiRequest(server, "/api/v1/timelines/home?limit=2", { token: bob.token });
      assert.equal(res.status, 200);
      assert.deepEqual(ids(res.json), expected.slice(0, 2));
      const link = res.headers.get("link") ?? "";
      const rels = Object.fromEntries(
        [...link.matchAll(/<([^>]+)>\s*;\s*rel="(\w+)"/g)].map((m) => [m[2], new URL(m[1])]),
      );
      assert.ok(rels.next && rels.prev, `Link: ${link}`);
      assert.equal(rels.next.pathname, "/api/v1/timelines/home");
      assert.equal(rels.next.searchParams.get("max_id"), expected[1], `Link: ${link}`);
      assert.equal(rels.prev.pathname, "/api/v1/timelines/home");
      assert.equal(rels.prev.searchParams.get("min_id"), expected[0], `Link: ${link}`);

      // The hashtag's timeline, whatever the case of the tag in the URL.
      for (const tag of ["launch", "Launch"]) {
        const tagged = await bob.client.v1.timelines.tag.$select(tag).list({ limit: 20 });
        assert.deepEqual(ids(tagged), [posts.hello.id], `GET /api/v1/timelines/tag/${tag}`);
      }

      // Catching up from a known status: min_id gives the ones just after it, newest first.
      const newer = await bob.client.v1.timelines.home.list({ minId: updates[1].id, limit: 2 });
      assert.deepEqual(ids(newer), [updates[3].id, updates[2].id]);
      const older = await bob.client.v1.timelines.home.list({ maxId: updates[1].id, limit: 20 });
      assert.deepEqual(ids(older), [updates[0].id, posts.hello.id]);
    });

    test("favourite, boost and alice's notifications", async () => {
      const { alice, bob } = users;
      const hello = posts.hello;

      const favourited = await bob.client.v1.statuses.$select(hello.id).favourite();
      assert.equal(favourited.id, hello.id);
      assert.equal(favourited.favourited, true);
      assert.equal(favourited.favouritesCount, 1);

      const boost = await bob.client.v1.statuses.$select(hello.id).reblog();
      assert.notEqual(boost.id, hello.id, "a boost is a new status wrapping the original");
      assert.equal(boost.account.acct, "bob");
      assert.ok(boost.reblog, "the boost carries the original in reblog");
      assert.equal(boost.reblog.id, hello.id);
      assert.equal(boost.reblog.reblogged, true);
      assert.equal(boost.reblog.reblogsCount, 1);
      assert.equal(boost.reblog.favourited, true);
      assert.equal(boost.reblog.favouritesCount, 1);

      const again = await bob.client.v1.statuses.$select(hello.id).fetch();
      assert.equal(again.favourited, true);
      assert.equal(again.reblogged, true);
      assert.equal(again.favouritesCount, 1);
      assert.equal(again.reblogsCount, 1);

      const mention = await bob.client.v1.statuses.create({ status: "@alice welcome aboard", visibility: "public" });
      posts.bobMention = mention;
      assert.equal(mention.mentions[0]?.acct, "alice");

      const wanted = ["mention", "favourite", "reblog", "follow"];
      const notifications = await eventually(
        () => alice.client.v1.notifications.list({ limit: 40 }),
        (list) => wanted.every((type) => list.some((n) => n.type === type)),
      );
      const summary = JSON.stringify(notifications.map((n) => [n.type, n.account?.acct, n.status?.id]));
      assert.deepEqual(notifications.map((n) => n.type).sort(), [...wanted].sort(), summary);
      for (const n of notifications) assert.equal(n.account.acct, "bob", summary);
      const byType = Object.fromEntries(notifications.map((n) => [n.type, n]));
      assert.equal(byType.mention.status?.id, mention.id, summary);
      assert.equal(byType.favourite.status?.id, hello.id, summary);
      assert.equal(byType.reblog.status?.id, hello.id, summary);
      assert.equal(byType.follow.status ?? null, null, summary);
      const times = notifications.map((n) => Date.parse(n.createdAt));
      assert.deepEqual(times, [...times].sort((a, b) => b - a), `newest first: ${summary}`);

      const paged = [];
      for await (const page of alice.client.v1.notifications.list({ limit: 1 })) {
        paged.push(...page.map((n) => n.id));
        assert.ok(paged.length <= 8, `still paginating: ${JSON.stringify(paged)}`);
      }
      assert.deepEqual(paged, notifications.map((n) => n.id), "notifications page by page, via Link");

      // bob was mentioned by alice's first post.
      const bobs = await bob.client.v1.notifications.list();
      const mentioned = bobs.find((n) => n.type === "mention");
      assert.ok(mentioned, JSON.stringify(bobs.map((n) => n.type)));
      assert.equal(mentioned.account.acct, "alice");
      assert.equal(mentioned.status.id, hello.id);

      const favourites = await alice.client.v1.notifications.list({ types: ["favourite"] });
      assert.deepEqual(favourites.map((n) => n.type), ["favourite"]);
      const notFavourites = await alice.client.v1.notifications.list({ excludeTypes: ["favourite"] });
      assert.deepEqual(notFavourites.map((n) => n.type).sort(), ["follow", "mention", "reblog"]);

      const fetched = await alice.client.v1.notifications.$select(byType.favourite.id).fetch();
      assert.equal(fetched.type, "favourite");
      await alice.client.v1.notifications.$select(byType.favourite.id).dismiss();
      const afterDismiss = await alice.client.v1.notifications.list();
      assert.deepEqual(afterDismiss.map((n) => n.type).sort(), ["follow", "mention", "reblog"]);
      await rejectsWithStatus(alice.client.v1.notifications.$select(byType.favourite.id).fetch(), 404);

      await alice.client.v1.notifications.clear();
      assert.deepEqual(await alice.client.v1.notifications.list(), []);
    });

    test("the boost response is marked reblogged, like the status it wraps", async () => {
      // docs.joinmastodon.org/methods/statuses/#boost: the example response has
      // "reblogged": true both at the top level (the boost) and inside "reblog".
      const { alice, carol } = users;
      const status = await alice.client.v1.statuses.create({ status: "Boost me", visibility: "public" });
      const boost = await carol.client.v1.statuses.$select(status.id).reblog();
      assert.equal(boost.reblog?.id, status.id);
      assert.equal(boost.reblog.reblogged, true);
      assert.equal(boost.reblogged, true, "top-level reblogged of the POST /reblog response");
    });

    test("favourite and boost are idempotent and can be undone", async () => {
      const { alice, carol } = users;
      const status = await alice.client.v1.statuses.create({ status: "Undo me", visibility: "public" });
      const it = carol.client.v1.statuses.$select(status.id);

      await it.favourite();
      const twice = await it.favourite();
      assert.equal(twice.favourited, true);
      assert.equal(twice.favouritesCount, 1, "favouriting twice counts once");
      const unfavourited = await it.unfavourite();
      assert.equal(unfavourited.id, status.id);
      assert.equal(unfavourited.favourited, false);
      assert.equal(unfavourited.favouritesCount, 0);

      const boost = await it.reblog();
      const again = await it.reblog();
      assert.equal(again.id, boost.id, "boosting twice returns the same boost");
      assert.equal(again.reblog?.reblogsCount, 1);
      const unboosted = await it.unreblog();
      assert.equal(unboosted.id, status.id, "unreblog returns the original status");
      assert.equal(unboosted.reblogged, false);
      assert.equal(unboosted.reblogsCount, 0);
      await rejectsWithStatus(carol.client.v1.statuses.$select(boost.id).fetch(), 404);

      const fetched = await it.fetch();
      assert.equal(fetched.favourited, false);
      assert.equal(fetched.reblogged, false);
      assert.equal(fetched.favouritesCount, 0);
      assert.equal(fetched.reblogsCount, 0);
    });

    test("a thread: context gives ancestors and descendants in order", async () => {
      const { alice, bob } = users;
      const root = await alice.client.v1.statuses.create({ status: "What shall we ship next?", visibility: "public" });
      const reply = await bob.client.v1.statuses.create({
        status: "@alice the search page",
        inReplyToId: root.id,
        visibility: "public",
      });
      assert.equal(reply.inReplyToId, root.id);
      assert.equal(reply.inReplyToAccountId, alice.account.id);
      const answer = await alice.client.v1.statuses.create({
        status: "@bob agreed",
        inReplyToId: reply.id,
        visibility: "public",
      });
      assert.equal(answer.inReplyToId, reply.id);
      assert.equal(answer.inReplyToAccountId, bob.account.id);

      const top = await bob.client.v1.statuses.$select(root.id).context.fetch();
      assert.deepEqual(ids(top.ancestors), []);
      assert.deepEqual(ids(top.descendants), [reply.id, answer.id]);

      const bottom = await bob.client.v1.statuses.$select(answer.id).context.fetch();
      assert.deepEqual(ids(bottom.ancestors), [root.id, reply.id]);
      assert.deepEqual(ids(bottom.descendants), []);

      const middle = await alice.client.v1.statuses.$select(reply.id).context.fetch();
      assert.deepEqual(ids(middle.ancestors), [root.id]);
      assert.deepEqual(ids(middle.descendants), [answer.id]);

      assert.equal((await alice.client.v1.statuses.$select(root.id).fetch()).repliesCount, 1);
    });

    test("visibility: followers-only, direct and local-only statuses", async () => {
      const { alice, bob, carol } = users;
      const anonymous = createRestAPIClient({ url: server.url });

      const followersOnly = await alice.client.v1.statuses.create({ status: "Followers only", visibility: "private" });
      assert.equal(followersOnly.visibility, "private");
      const bobSees = await bob.client.v1.statuses.$select(followersOnly.id).fetch();
      assert.equal(bobSees.id, followersOnly.id);
      assert.equal(bobSees.visibility, "private");
      assert.ok(ids(await bob.client.v1.timelines.home.list({ limit: 5 })).includes(followersOnly.id));
      const hidden = await rejectsWithStatus(carol.client.v1.statuses.$select(followersOnly.id).fetch(), 404);
      assert.equal(hidden.message, "Record not found");
      await rejectsWithStatus(anonymous.v1.statuses.$select(followersOnly.id).fetch(), 404);
      // What carol cannot see she can neither act on nor reply to.
      await rejectsWithStatus(carol.client.v1.statuses.$select(followersOnly.id).favourite(), 404);
      await rejectsWithStatus(carol.client.v1.statuses.$select(followersOnly.id).reblog(), 404);
      await rejectsWithStatus(carol.client.v1.statuses.$select(followersOnly.id).context.fetch(), 404);
      await rejectsWithStatus(
        carol.client.v1.statuses.create({ status: "@alice what?", inReplyToId: followersOnly.id }),
        404,
      );

      const direct = await alice.client.v1.statuses.create({ status: "@carol just between us", visibility: "direct" });
      assert.equal(direct.visibility, "direct");
      assert.deepEqual(direct.mentions.map((m) => m.acct), ["carol"]);
      const carolSees = await carol.client.v1.statuses.$select(direct.id).fetch();
      assert.equal(carolSees.id, direct.id);
      assert.equal(carolSees.visibility, "direct");
      await rejectsWithStatus(bob.client.v1.statuses.$select(direct.id).fetch(), 404);
      await rejectsWithStatus(anonymous.v1.statuses.$select(direct.id).fetch(), 404);
      assert.ok(!ids(await bob.client.v1.timelines.home.list({ limit: 20 })).includes(direct.id),
        "a direct message to carol is not in bob's home");

      // A thread mixing visibilities shows each reader only what they may see.
      const open = await alice.client.v1.statuses.create({ status: "Open question", visibility: "public" });
      const followUp = await alice.client.v1.statuses.create({
        status: "For followers: the answer",
        inReplyToId: open.id,
        visibility: "private",
      });
      assert.deepEqual(ids((await bob.client.v1.statuses.$select(open.id).context.fetch()).descendants), [followUp.id]);
      assert.deepEqual(ids((await carol.client.v1.statuses.$select(open.id).context.fetch()).descendants), []);

      // The public timeline holds public statuses only.
      const publicTimeline = ids(await carol.client.v1.timelines.public.list({ limit: 40 }));
      assert.ok(publicTimeline.includes(open.id), "a public status is on the public timeline");
      for (const hiddenId of [followersOnly.id, direct.id, followUp.id]) {
        assert.ok(!publicTimeline.includes(hiddenId), `status ${hiddenId} is not on the public timeline`);
      }

      // 'local' (department only) is a Groundswell extension: the API reports it as public
      // with local_only set. masto keeps unknown fields (camelCased), and the wire name is
      // checked with a plain fetch.
      const local = await alice.client.v1.statuses.create({ status: "Department only", visibility: "local" });
      assert.equal(local.visibility, "public");
      assert.equal(local.localOnly, true, JSON.stringify(local));
      const raw = await apiRequest(server, `/api/v1/statuses/${local.id}`, { token: bob.token });
      assert.equal(raw.status, 200, raw.text);
      assert.equal(raw.json.visibility, "public", raw.text);
      assert.equal(raw.json.local_only, true, raw.text);
    });

    test("edit: history and source; delete: source text back, then gone", async () => {
      const { alice, bob } = users;
      const original = await alice.client.v1.statuses.create({ status: "original text", visibility: "public" });
      assert.equal(original.editedAt, null);

      const edited = await alice.client.v1.statuses.$select(original.id).update({ status: "edited text" });
      assert.equal(edited.id, original.id);
      assert.ok(edited.editedAt, `editedAt is set: ${JSON.stringify(edited.editedAt)}`);
      assert.ok(!Number.isNaN(Date.parse(edited.editedAt)), `editedAt ${edited.editedAt}`);
      assert.equal(edited.createdAt, original.createdAt);
      assert.equal(plainText(edited.content), "edited text");

      const history = await alice.client.v1.statuses.$select(original.id).history.list();
      assert.equal(history.length, 2, JSON.stringify(history));
      assert.deepEqual(history.map((v) => plainText(v.content)), ["original text", "edited text"]);
      assert.equal(history[1].account.id, alice.account.id);
      assert.equal(history[0].createdAt, original.createdAt, "the first version is dated when posted");
      assert.equal(history[1].createdAt, edited.editedAt, "the last version is dated when edited");

      const source = await alice.client.v1.statuses.$select(original.id).source.fetch();
      assert.equal(source.id, original.id);
      assert.equal(source.text, "edited text");
      assert.equal(source.spoilerText, "");

      const bobSees = await bob.client.v1.statuses.$select(original.id).fetch();
      assert.equal(plainText(bobSees.content), "edited text");
      assert.equal(bobSees.editedAt, edited.editedAt);

      const removed = await alice.client.v1.statuses.$select(original.id).remove();
      assert.equal(removed.id, original.id);
      assert.equal(removed.text, "edited text");
      await rejectsWithStatus(alice.client.v1.statuses.$select(original.id).fetch(), 404);
      await rejectsWithStatus(bob.client.v1.statuses.$select(original.id).fetch(), 404);

      // The source as typed, not the HTML.
      const rich = "Going away #Launch @bob https://example.com/x?a=1&b=2";
      const doomed = await alice.client.v1.statuses.create({ status: rich, visibility: "public" });
      const gone = await alice.client.v1.statuses.$select(doomed.id).remove();
      assert.equal(gone.text, rich);
      await rejectsWithStatus(alice.client.v1.statuses.$select(doomed.id).fetch(), 404);
    });

    test("someone else's status can be neither edited nor deleted: 404", async () => {
      // docs.joinmastodon.org/methods/statuses/#edit: 404 "Status does not exist, is private,
      // or is not owned by you"; #delete: 404 "Status is not owned by you or does not exist".
      const { alice, bob } = users;
      const status = await alice.client.v1.statuses.create({ status: "mine", visibility: "public" });
      const statusOf = (promise) =>
        promise.then(
          () => 200,
          (e) => `${e.statusCode} ${e.message}`,
        );
      const attempts = {
        edit: await statusOf(bob.client.v1.statuses.$select(status.id).update({ status: "hijacked" })),
        delete: await statusOf(bob.client.v1.statuses.$select(status.id).remove()),
      };
      assert.deepEqual(attempts, { edit: "404 Record not found", delete: "404 Record not found" });
      const still = await alice.client.v1.statuses.$select(status.id).fetch();
      assert.equal(plainText(still.content), "mine");
      assert.equal(still.editedAt, null);
    });

    test("errors: validation, unknown ids, oversized bodies and scopes", async () => {
      const { alice } = users;

      const blank = await rejectsWithStatus(alice.client.v1.statuses.create({ status: "" }), 422);
      assert.ok(typeof blank.message === "string" && blank.message.length > 0, "422 carries an error message");

      const secret = await rejectsWithStatus(
        alice.client.v1.statuses.create({ status: "psst", visibility: "secret" }),
        422,
      );
      assert.ok(typeof secret.message === "string" && secret.message.length > 0, "422 carries an error message");

      const mine = await alice.client.v1.statuses.create({ status: "to be blanked", visibility: "public" });
      await rejectsWithStatus(alice.client.v1.statuses.$select(mine.id).update({ status: "" }), 422);
      assert.equal(plainText((await alice.client.v1.statuses.$select(mine.id).fetch()).content), "to be blanked");

      const badToken = createRestAPIClient({ url: server.url, accessToken: "not-a-token" });
      const invalid = await rejectsWithStatus(badToken.v1.statuses.create({ status: "who am I" }), 401);
      assert.equal(invalid.message, "The access token is invalid");

      const notANumber = await apiRequest(server, "/api/v1/statuses/notanumber", { token: alice.token });
      assert.equal(notANumber.status, 404, notANumber.text);
      assert.match(notANumber.headers.get("content-type") ?? "", /^application\/json/);
      assert.deepEqual(notANumber.json, { error: "Record not found" });
      const missing = await rejectsWithStatus(alice.client.v1.statuses.$select("999999999999").fetch(), 404);
      assert.equal(missing.message, "Record not found");

      const huge = await apiRequest(server, "/api/v1/statuses", {
        method: "POST",
        token: alice.token,
        json: { status: "a".repeat(2 * 1024 * 1024) },
      });
      assert.equal(huge.status, 413, huge.text.slice(0, 500));
      assert.match(huge.headers.get("content-type") ?? "", /^application\/json/);
      assert.equal(typeof huge.json?.error, "string", huge.text.slice(0, 500));

      const readOnly = createRestAPIClient({
        url: server.url,
        accessToken: await server.issueToken("alice", "read"),
      });
      const refused = await rejectsWithStatus(readOnly.v1.statuses.create({ status: "read-only" }), 403);
      assert.match(refused.message, /outside the authorized scopes/);
      const posted = await readOnly.v1.accounts.$select(alice.account.id).statuses.list({ limit: 40 });
      assert.ok(!posted.some((s) => s.content.includes("read-only")), "the refused status was not posted");
    });

    test("plain text is HTML-escaped", async () => {
      const source = `<script>alert("x")</script> & <b>bold</b>`;
      const status = await users.alice.client.v1.statuses.create({ status: source, visibility: "public" });
      assert.ok(!/<script|<b>/i.test(status.content), `markup was not escaped: ${status.content}`);
      assert.equal(plainText(status.content), source, status.content);
      await users.alice.client.v1.statuses.$select(status.id).remove();
    });
  });
}
