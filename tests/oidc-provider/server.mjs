// A real OpenID Provider for Groundswell's SSO tests: the OpenID-certified npm package
// `oidc-provider`, with
//   - one static confidential client (the Groundswell instance under test),
//   - test users whose groups differ (alice: staff+eng, carol: staff+it-admins, mallory:
//     contractors, dave: staff without preferred_username),
//   - its login as a plain HTML form (`POST /interaction/:uid/login`, field `username`) that a
//     test completes with plain HTTP; consent is granted without asking,
//   - RP-initiated logout and back-channel logout enabled,
//   - test-only routes under /test/ (this is a test fixture, never a real IdP):
//       POST /test/users/:sub      create or change a user's claims (JSON object; null deletes)
//       POST /test/tamper          replace the ID token of the *next* token response by a
//                                  forged one: {"claims": {...}, "sign": "provider" | "none" |
//                                  "unknown-key" | "rotated", "sticky": false}
//       POST /test/rotate          publish a new signing key in the JWKS (kid "rotated-N") and
//                                  sign later ID tokens with it ("sticky" tamper with no claims)
//       POST /test/logout-token    a logout token signed with the provider's key:
//                                  {"sub", "sid", "claims": {...}} → {"logout_token": "..."}
//
// Usage: node server.mjs '{"groundswell": "http://127.0.0.1:PORT"}'
// Prints one line `issuer=http://127.0.0.1:PORT` on stdout once it listens.

import http from 'node:http';
import { randomUUID } from 'node:crypto';
import * as jose from 'jose';
import Provider from 'oidc-provider';

const options = JSON.parse(process.argv[2] ?? '{}');
const groundswell = (options.groundswell ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const clientId = options.client_id ?? 'groundswell';
const clientSecret = options.client_secret ?? 'groundswell-test-secret';

const users = new Map(Object.entries({
  'sub-alice': { preferred_username: 'alice', name: 'Alice Anders', email: 'alice@corp.example', email_verified: true, department: 'Engineering', groups: ['staff', 'eng'] },
  'sub-carol': { preferred_username: 'carol', name: 'Carol Chen', email: 'carol@corp.example', email_verified: true, department: 'IT', groups: ['staff', 'it-admins'] },
  'sub-mallory': { preferred_username: 'mallory', name: 'Mallory Contractor', email: 'mallory@vendor.example', email_verified: true, department: 'Vendors', groups: ['contractors'] },
  'sub-dave': { name: 'Dave Smith', email: 'Dave.Smith@corp.example', email_verified: true, department: 'Sales', groups: ['staff'] },
}));

async function signingKey(kid) {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  return { ...jwk, kid, alg: 'RS256', use: 'sig' };
}
const providerKey = await signingKey('provider-1');
const unknownKey = await signingKey('never-published');
const publishedExtra = []; // rotated keys, served in addition to the provider's own
let rotations = 0;
let tamper = null; // { claims, sign, sticky }

function publicJwk(jwk) {
  const { d, p, q, dp, dq, qi, ...pub } = jwk;
  return pub;
}

async function sign(payload, header, key) {
  if (key === null) {
    const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    return `${enc({ ...header, alg: 'none' })}.${enc(payload)}.`;
  }
  return new jose.SignJWT(payload)
    .setProtectedHeader({ ...header, alg: 'RS256', kid: key.kid })
    .sign(await jose.importJWK(key, 'RS256'));
}

function merge(target, changes) {
  for (const [k, v] of Object.entries(changes ?? {})) {
    if (v === null) delete target[k]; else target[k] = v;
  }
  return target;
}

async function forgeIdToken(real) {
  const payload = merge(jose.decodeJwt(real), tamper.claims);
  const key = {
    provider: providerKey,
    none: null,
    'unknown-key': unknownKey,
    rotated: publishedExtra[0],
  }[tamper.sign ?? 'provider'];
  if (key === undefined) throw new Error(`unknown signing mode ${tamper.sign}`);
  const token = await sign(payload, { typ: 'JWT' }, key);
  if (!tamper.sticky) tamper = null;
  return token;
}

// The server listens first so that the issuer (with its port) is known.
const server = http.createServer();
await new Promise((resolve) => server.listen(Number(options.port ?? 0), '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [`${groundswell}/auth/oidc/callback`],
    post_logout_redirect_uris: [`${groundswell}/`],
    backchannel_logout_uri: `${groundswell}/auth/oidc/backchannel_logout`,
    backchannel_logout_session_required: true,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [providerKey] },
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
    // With the groups: the organisational claims a company directory gives (title, office).
    groups: ['groups', 'department', 'title', 'locality'],
  },
  async findAccount(ctx, sub) {
    if (!users.has(sub)) return undefined;
    return { accountId: sub, async claims() { return { sub, ...users.get(sub) }; } };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = `<!doctype html><title>Sign out</title>${form}<button form="op.logoutForm" name="logout" value="yes">Sign out</button>`;
      },
    },
    backchannelLogout: { enabled: true },
  },
  // oidc-provider refuses to call special-use addresses (SSRF protection); the Groundswell
  // under test listens on 127.0.0.1, so this test provider calls it without that check.
  fetch: (url, init) => {
    const { dispatcher, ...rest } = init;
    return globalThis.fetch(url, rest);
  },
  pkce: { required: () => true },
  cookies: { keys: ['groundswell-test-cookie-key'] },
  ttl: { Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 600, AuthorizationCode: 60, IdToken: 3600 },
  // Tests run on plain http; no TLS checks for cookies.
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!doctype html><title>OP error</title><h1>${out.error}</h1><p>${out.error_description ?? ''}</p>`;
  },
});
provider.proxy = false;
provider.on('backchannel.error', (ctx, err, client) => {
  console.error(`test provider: back-channel logout to ${client.clientId} failed: ${err.message} ${err.cause ? err.cause.message || err.cause.code : ""}`);
});
provider.on('server_error', (ctx, err) => console.error('test provider:', err));

// Forged ID tokens and extra published keys (see /test/ above).
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && tamper && ctx.body && ctx.body.id_token) {
    ctx.body = { ...ctx.body, id_token: await forgeIdToken(ctx.body.id_token) };
  }
  if (ctx.path === '/jwks' && ctx.body && Array.isArray(ctx.body.keys)) {
    ctx.body = { keys: [...publishedExtra.map(publicJwk), ...ctx.body.keys] };
  }
});

const callback = provider.callback();

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (c) => { data += c; });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function send(res, status, body, type = 'application/json') {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(type === 'application/json' ? JSON.stringify(body) : body);
}

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function interaction(req, res, url) {
  const [, , uid, action] = url.pathname.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, { error: 'interaction mismatch' });
  const { prompt, params, session } = details;
  if (prompt.name === 'consent') {
    // IT approved Groundswell once for everyone: grant what it asks without a page.
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  if (req.method === 'POST' && action === 'login') {
    const form = new URLSearchParams(await readBody(req));
    const sub = form.get('username') ? `sub-${form.get('username')}` : '';
    if (!users.has(sub)) {
      return send(res, 200, `<!doctype html><p class="error">Unknown user</p>${loginForm(uid)}`, 'text/html');
    }
    return provider.interactionFinished(req, res, { login: { accountId: sub } }, { mergeWithLastSubmission: false });
  }
  return send(res, 200, `<!doctype html><title>Company sign-in</title><h1>Company sign-in</h1>${loginForm(uid)}`, 'text/html');
}

function loginForm(uid) {
  return `<form method="post" action="/interaction/${escape(uid)}/login"><input name="username"><button>Sign in</button></form>`;
}

async function testRoute(req, res, url) {
  const body = req.method === 'POST' ? JSON.parse((await readBody(req)) || '{}') : {};
  const parts = url.pathname.split('/');
  if (parts[2] === 'users' && parts[3]) {
    const sub = decodeURIComponent(parts[3]);
    users.set(sub, merge(users.get(sub) ?? {}, body));
    return send(res, 200, { sub, ...users.get(sub) });
  }
  if (parts[2] === 'tamper') {
    tamper = { claims: body.claims ?? {}, sign: body.sign ?? 'provider', sticky: Boolean(body.sticky) };
    return send(res, 200, { ok: true });
  }
  if (parts[2] === 'rotate') {
    rotations += 1;
    publishedExtra.unshift(await signingKey(`rotated-${rotations}`));
    tamper = { claims: {}, sign: 'rotated', sticky: true };
    return send(res, 200, { kid: publishedExtra[0].kid });
  }
  if (parts[2] === 'logout-token') {
    const now = Math.floor(Date.now() / 1000);
    const payload = merge({
      iss: issuer,
      aud: clientId,
      iat: now,
      exp: now + 120,
      jti: randomUUID(),
      sub: body.sub,
      sid: body.sid,
      events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
    }, body.claims);
    const key = body.sign === 'none' ? null : providerKey;
    return send(res, 200, { logout_token: await sign(payload, { typ: 'logout+jwt' }, key) });
  }
  return send(res, 404, { error: 'no such test route' });
}

server.on('request', async (req, res) => {
  const url = new URL(req.url, issuer);
  try {
    if (url.pathname.startsWith('/interaction/')) return await interaction(req, res, url);
    if (url.pathname.startsWith('/test/')) return await testRoute(req, res, url);
    return callback(req, res);
  } catch (err) {
    console.error(err);
    if (!res.headersSent) send(res, 500, { error: String(err && err.message) });
  }
});

process.stdout.write(`issuer=${issuer}\n`);
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
