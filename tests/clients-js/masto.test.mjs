// masto.js (the JavaScript Mastodon client library used by Elk, Phanpy and others) against a real
// Groundswell server, on SQLite and on PostgreSQL. Run: node --test (see run.sh).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { createOAuthAPIClient, createRestAPIClient } from "masto";

import {
  BACKENDS,
  REDIRECT_URI,
  authorize,
  browserAuthorize,
  registerApp,
  rejectsWithStatus,
  startServer,
} from "./harness.mjs";

const INSTANCE_NAME = "Engineering";
const RULES = ["Be kind", "No customer data"];
const ALICE = { username: "alice", password: "correct horse battery staple" };

for (const backend of BACKENDS) {
  describe(`masto.js on ${backend}`, () => {
    let server;

    before(async () => {
      server = await startServer({
        backend,
        env: {
          GROUNDSWELL_INSTANCE__NAME: INSTANCE_NAME,
          GROUNDSWELL_INSTANCE__RULES: RULES.join(","),
        },
      });
      await server.createUser(ALICE.username, { password: ALICE.password, role: "admin" });
    });

    after(async () => {
      await server?.stop();
    });

    test("instance information, rules and custom emojis", async () => {
      const accessToken = await server.issueToken(ALICE.username, "read");
      const client = createRestAPIClient({ url: server.url, accessToken });

      const v2 = await client.v2.instance.fetch();
      assert.equal(v2.title, INSTANCE_NAME);
      assert.equal(v2.domain, server.domain);
      assert.ok(v2.version.startsWith("4.3.0"), `version ${v2.version}`);
      assert.ok(v2.apiVersions.mastodon >= 2, `apiVersions ${JSON.stringify(v2.apiVersions)}`);
      assert.equal(v2.configuration.urls.streaming, `ws://${server.domain}`);
      assert.deepEqual(v2.rules.map((r) => r.text), RULES);

      const v1 = await client.v1.instance.fetch();
      assert.equal(v1.title, INSTANCE_NAME);
      assert.equal(v1.uri, server.domain);
      assert.ok(v1.version.startsWith("4.3.0"), `version ${v1.version}`);
      assert.equal(v1.urls.streamingApi, `ws://${server.domain}`);

      const rules = await client.v1.instance.rules.list();
      assert.deepEqual(rules.map((r) => r.text), RULES);
      assert.equal(new Set(rules.map((r) => r.id)).size, RULES.length, "rule ids are distinct");

      assert.deepEqual(await client.v1.customEmojis.list(), []);
    });

    test("authorization-code flow through the sign-in and consent forms", async () => {
      const clientName = `masto.js on ${backend}`;
      const { token } = await authorize(server, { ...ALICE, scope: "read write", clientName });
      assert.equal(token.token_type, "Bearer");
      assert.equal(token.scope, "read write");
      assert.equal(typeof token.access_token, "string");
      assert.equal(typeof token.created_at, "number");

      const client = createRestAPIClient({ url: server.url, accessToken: token.access_token });
      const me = await client.v1.accounts.verifyCredentials();
      assert.equal(me.username, "alice");
      assert.equal(me.acct, "alice");
      assert.equal(me.url, `http://${server.domain}/@alice`);
      assert.equal(me.role?.name, "Admin");

      const app = await client.v1.apps.verifyCredentials();
      assert.equal(app.name, clientName);
    });

    test("masto's own app registration and token exchange", async () => {
      const anonymous = createRestAPIClient({ url: server.url });
      const app = await anonymous.v1.apps.create({
        clientName: "masto.js registered",
        redirectUris: REDIRECT_URI,
        scopes: "read write",
        website: "https://tests.example",
      });
      assert.equal(app.name, "masto.js registered");
      assert.ok(app.clientId && app.clientSecret, "client credentials are returned");

      const { query } = await browserAuthorize(server, {
        app: { client_id: app.clientId },
        ...ALICE,
        scope: "read",
        state: "masto-state",
      });
      assert.equal(query.state, "masto-state");
      assert.ok(query.code, `a code in ${JSON.stringify(query)}`);

      const oauth = createOAuthAPIClient({ url: server.url });
      const token = await oauth.token.create({
        grantType: "authorization_code",
        clientId: app.clientId,
        clientSecret: app.clientSecret,
        redirectUri: REDIRECT_URI,
        code: query.code,
        scope: "read",
      });
      assert.equal(token.scope, "read");

      const client = createRestAPIClient({ url: server.url, accessToken: token.accessToken });
      assert.equal((await client.v1.accounts.verifyCredentials()).username, "alice");
      assert.equal((await client.v1.apps.verifyCredentials()).name, "masto.js registered");
    });

    test("denying the app sends the browser back with access_denied", async () => {
      const app = await registerApp(server, { scopes: "read" });
      const { query } = await browserAuthorize(server, {
        app,
        ...ALICE,
        scope: "read",
        state: "deny-me",
        decision: "deny",
      });
      assert.equal(query.error, "access_denied");
      assert.equal(query.state, "deny-me");
      assert.equal(query.code, undefined);
    });

    test("scopes are enforced and a missing token is refused", async () => {
      const writeOnly = await server.issueToken(ALICE.username, "write");
      const client = createRestAPIClient({ url: server.url, accessToken: writeOnly });
      const error = await rejectsWithStatus(client.v1.accounts.verifyCredentials(), 403);
      assert.match(error.message, /outside the authorized scopes/);

      const anonymous = createRestAPIClient({ url: server.url });
      await rejectsWithStatus(anonymous.v1.accounts.verifyCredentials(), 401);
    });

    test("an unknown endpoint is a JSON 404", async () => {
      const res = await fetch(server.url + "/api/v1/no_such_endpoint");
      assert.equal(res.status, 404);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      assert.deepEqual(await res.json(), { error: "Record not found" });

      const client = createRestAPIClient({ url: server.url });
      const error = await rejectsWithStatus(client.v1.noSuchEndpoint.fetch(), 404);
      assert.equal(error.message, "Record not found");
    });
  });
}
