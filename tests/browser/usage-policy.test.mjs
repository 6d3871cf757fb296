// The usage policy in a real browser: an employee whose post the API refuses follows the
// error's policy_url, signs in, reads the text, accepts it, and can post again; the
// acceptance is in the export.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { launchBrowser, screenshot, startServer, watch } from "./harness.mjs";

let server;
let browser;

before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const POLICY = `# Social media policy

We share what helps colleagues do their work.

## Be kind

- Disagree with ideas, never with people.
- **No customer data**, ever: names, contracts, tickets.

See [the handbook](https://intranet.corp.example/handbook) for the details.

<script>document.title = "hijacked"</script>
`;

test("an employee reads and accepts the usage policy, then posts again", async () => {
  const page0 = await browser.newContext();
  const anonymous = await page0.newPage();
  const nothing = await anonymous.goto(`${server.url}/about/usage-policy`);
  assert.equal(nothing.status(), 404);
  assert.match(await anonymous.locator("main").innerText(), /has not published a usage policy/);
  await page0.close();

  const carol = await server.employee("carol");
  const file = join(server.dir, "policy.md");
  writeFileSync(file, POLICY);
  assert.match(await server.cli(["usage-policy", "publish", file]), /published version 1/);

  // The API refuses to post, clearly, and says where to go (the server hears of the CLI's
  // version within moments).
  let refused;
  for (let tries = 0; tries < 50; tries++) {
    refused = await server.api(carol, "POST", "/api/v1/statuses", { status: "Hello!" });
    if (refused.status === 403) break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.equal(refused.status, 403, JSON.stringify(refused.body));
  assert.match(refused.body.error, /usage policy \(version 1\)/);
  assert.equal(refused.body.policy_url, `${server.url}/about/usage-policy`);

  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = watch(page);
  await page.goto(refused.body.policy_url);
  const policy = page.locator("#policy");
  assert.equal(await policy.locator("h1").innerText(), "Social media policy");
  assert.equal(await policy.locator("h2").innerText(), "Be kind");
  assert.equal(await policy.locator("li").count(), 2);
  assert.equal(await policy.locator("strong").innerText(), "No customer data");
  assert.equal(await page.title(), "Usage policy · Engineering", "the policy's script never ran");
  assert.equal(await page.locator("#accept").count(), 0, "no button before signing in");
  console.log(`screenshot: ${await screenshot(page, "usage-policy-anonymous")}`);

  // Sign in from the page; it comes back with the accept button.
  await page.click("#sign-in");
  await page.fill("#username", carol.username);
  await page.fill("#password", carol.password);
  await Promise.all([page.waitForURL(`${server.url}/about/usage-policy`), page.click("button[type=submit]")]);
  assert.equal(await page.locator("#version").innerText().then((t) => t.startsWith("Version 1")), true);
  await page.locator("#accept").waitFor();
  console.log(`screenshot: ${await screenshot(page, "usage-policy-to-accept")}`);
  // The timelines say so too, with the way to the policy; a post from the compose box is
  // refused with the same explanation and keeps its text.
  await page.goto(`${server.url}/`);
  assert.match(await page.locator("p.error[role=alert]").innerText(), /accept the usage policy/);
  await page.fill("#status", "Hello from the browser");
  await page.click("#compose button[type=submit]");
  assert.match(await page.locator("#compose .error").innerText(), /usage policy \(version 1\)/);
  assert.equal(await page.locator("#status").inputValue(), "Hello from the browser");
  await page.goto(`${server.url}/about/usage-policy`);

  await Promise.all([page.waitForURL(`${server.url}/about/usage-policy`), page.click("#accept")]);
  assert.match(await page.locator("#accepted").innerText(), /You accepted version 1 on \d{4}-\d{2}-\d{2}/);
  assert.equal(await page.locator("#accept").count(), 0);
  console.log(`screenshot: ${await screenshot(page, "usage-policy-accepted")}`);
  assert.deepEqual(seen.problems(), []);
  await context.close();

  const posted = await server.api(carol, "POST", "/api/v1/statuses", { status: "Hello again!" });
  assert.equal(posted.status, 200, JSON.stringify(posted.body));
  const standing = await server.api(carol, "GET", "/api/v1/groundswell/usage_policy");
  assert.equal(standing.body.version, 1);
  assert.ok(standing.body.accepted_at);
  const csv = await server.cli(["usage-policy", "acceptances"]);
  assert.match(csv, /^account_id,username,display_name,email,version,accepted_at\r\n/);
  assert.match(csv, /,carol,carol,carol@eng\.corp\.example,1,\d{4}-/);
});
