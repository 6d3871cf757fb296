// masto.js's grouped notifications (v2) and notification policy and requests against a real
// Groundswell server, on SQLite and on PostgreSQL — what Elk and Phanpy call for the
// notifications column. Run: node --test (see run.sh).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { createRestAPIClient } from "masto";

import { BACKENDS, startServer } from "./harness.mjs";

for (const backend of BACKENDS) {
  describe(`masto.js notifications on ${backend}`, () => {
    let server;
    const users = {};

    before(async () => {
      server = await startServer({ backend });
      for (const name of ["alice", "bob", "carol", "dan"]) {
        await server.createUser(name);
        const accessToken = await server.issueToken(name, "read write follow");
        const client = createRestAPIClient({ url: server.url, accessToken });
        users[name] = { client, account: await client.v1.accounts.verifyCredentials() };
      }
    });

    after(async () => {
      await server?.stop();
    });

    test("favourites of one post and follows are grouped; groups page and dismiss", async () => {
      const { alice, bob, carol, dan } = users;
      const post = await alice.client.v1.statuses.create({ status: "Release 2.0 is out" });
      for (const fan of [bob, carol, dan]) {
        await fan.client.v1.statuses.$select(post.id).favourite();
      }
      await bob.client.v1.accounts.$select(alice.account.id).follow();
      await dan.client.v1.accounts.$select(alice.account.id).follow();
      await carol.client.v1.statuses.create({ status: `@alice congrats` });

      const page = await alice.client.v2.notifications.list({ limit: 2 });
      const groups = page.notificationGroups;
      assert.deepEqual(
        groups.map((g) => g.type),
        ["mention", "follow"],
      );
      assert.equal(groups[1].notificationsCount, 2);
      assert.deepEqual(groups[1].sampleAccountIds, [dan.account.id, bob.account.id]);
      assert.ok(groups[0].groupKey.startsWith("ungrouped-"), groups[0].groupKey);
      assert.ok(page.accounts.some((a) => a.id === carol.account.id));

      // The paginator follows the Link header to the favourites.
      const all = [];
      for await (const p of alice.client.v2.notifications.list({ limit: 2 })) {
        all.push(...p.notificationGroups);
      }
      const favourites = all.find((g) => g.type === "favourite");
      assert.equal(favourites.notificationsCount, 3);
      assert.equal(favourites.statusId, post.id);
      assert.equal(favourites.mostRecentNotificationId, favourites.pageMaxId);

      const one = await alice.client.v2.notifications.$select(favourites.groupKey).fetch();
      assert.equal(one.notificationGroups[0].notificationsCount, 3);
      assert.deepEqual(
        one.statuses.map((s) => s.id),
        [post.id],
      );
      const { count } = await alice.client.v2.notifications.unreadCount.fetch();
      assert.equal(count, 3);
      await alice.client.v2.notifications.$select(favourites.groupKey).dismiss();
      const after = await alice.client.v2.notifications.list();
      assert.deepEqual(
        after.notificationGroups.map((g) => g.type),
        ["mention", "follow"],
      );
    });

    test("a filtering policy sends strangers' mentions to requests until accepted", async () => {
      const { alice, bob, dan } = users;
      // alice follows bob; dan is a stranger to her.
      await alice.client.v1.accounts.$select(bob.account.id).follow();
      const policy = await alice.client.v2.notifications.policy.update({ forNotFollowing: "filter" });
      assert.equal(policy.forNotFollowing, "filter");
      const fromDan = await dan.client.v1.statuses.create({ status: "@alice can we talk?" });
      await bob.client.v1.statuses.create({ status: "@alice lunch?" });

      const page = await alice.client.v2.notifications.list({ types: ["mention"] });
      const mentions = page.notificationGroups.map((g) => g.sampleAccountIds[0]);
      assert.ok(mentions.includes(bob.account.id));
      assert.ok(!mentions.includes(dan.account.id), "dan's mention is filtered");

      const fetched = await alice.client.v2.notifications.policy.fetch();
      assert.equal(fetched.summary.pendingRequestsCount, 1);
      const requests = await alice.client.v1.notifications.requests.list();
      assert.equal(requests.length, 1);
      assert.equal(requests[0].account.id, dan.account.id);
      assert.equal(requests[0].lastStatus.id, fromDan.id);

      await alice.client.v1.notifications.requests.$select(requests[0].id).accept();
      const merged = await alice.client.v2.notifications.list({ types: ["mention"] });
      assert.ok(merged.notificationGroups.some((g) => g.sampleAccountIds[0] === dan.account.id));
      assert.deepEqual(await alice.client.v1.notifications.requests.list(), []);
    });
  });
}
