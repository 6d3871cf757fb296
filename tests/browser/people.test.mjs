// The people directory in a real browser, across two real departments: an employee finds a
// colleague of the other department by a hashtag they post about, follows them from the
// directory, and the follow reaches the other department. Desktop and phone screenshots; no
// sideways scrolling at 360 px; the page needs a sign-in.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { eventually, launchBrowser, screenshot, signIn, startDepartments, watch } from "./harness.mjs";

let eng;
let sales;
let browser;

before(async () => {
  [[eng, sales], browser] = await Promise.all([
    startDepartments(["Engineering", "Sales"], { env: { GROUNDSWELL_DIRECTORY__SYNC_INTERVAL_SECS: "1" } }),
    launchBrowser(),
  ]);
});

after(async () => {
  await browser?.close();
  await eng?.stop();
  await sales?.stop();
});

async function shot(page, name) {
  console.log(`screenshot: ${await screenshot(page, name)}`);
}

test("employees find colleagues across departments and follow them", async () => {
  const bob = await eng.employee("bob");
  const alice = await eng.employee("alice");
  const sam = await sales.employee("sam");
  for (const [server, who, text] of [
    [eng, alice, "Notes on #rust error handling"],
    [sales, sam, "Our quoting tool is moving to #rust"],
    [sales, sam, "More #Rust: the first release"],
  ]) {
    const res = await server.api(who, "POST", "/api/v1/statuses", { status: text });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }
  const profile = await fetch(`${sales.url}/api/v1/accounts/update_credentials`, {
    method: "PATCH",
    headers: { Authorization: `Bearer ${sam.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ display_name: "Sam Seller", fields_attributes: [{ name: "Title", value: "Sales engineer" }] }),
  });
  assert.equal(profile.status, 200);

  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = watch(page);
  // Signed out, the directory asks for a sign-in first and comes back.
  await signIn(page, eng, bob, "/people");
  assert.equal(await page.locator("h1").innerText(), "People");

  // "Who knows about Rust?": Sam (two posts) before Alice (one), once Sales has synced.
  await eventually(async () => {
    await page.goto(`${eng.url}/people?tag=rust`);
    const cards = await page.locator("li.person").allInnerTexts();
    return cards.length === 2 && /Sam Seller/.test(cards[0]) && /2 posts/.test(cards[0]);
  }, 30_000, "both departments in the directory, Sales' latest sync included");
  // Typed into the form, the way an employee searches.
  await page.goto(`${eng.url}/people`);
  await page.fill("#tag", "#rust");
  await Promise.all([page.waitForURL(/tag=/), page.press("#tag", "Enter")]);
  const names = await page.locator("li.person h2").allInnerTexts();
  assert.deepEqual(names, ["Sam Seller", "alice"]);
  const samCard = page.locator("li.person").first();
  assert.match(await samCard.locator(".acct").innerText(), new RegExp(`@sam@${sales.domain.replace(/[.]/g, "\\.")}`));
  assert.match(await samCard.locator(".fields").innerText(), /Title\s*Sales engineer/);
  assert.match(await samCard.locator(".interests").innerText(), /#rust 2 posts/);
  await shot(page, "people-search");

  // Follow Sam from the directory: the follow reaches Sales.
  await Promise.all([page.waitForURL(/done=/), samCard.getByRole("button", { name: "Follow Sam Seller" }).click()]);
  assert.match(await page.locator(".notice").innerText(), /follow/i);
  await eventually(async () => {
    const followers = await sales.api(sam, "GET", "/api/v1/accounts/verify_credentials");
    return followers.body.followers_count === 1;
  }, 30_000, "the follow to reach Sales");
  await page.reload();
  assert.match(await page.locator("li.person").first().locator(".act").innerText(), /Following|Requested/);

  // By name and title, and by department.
  await page.goto(`${eng.url}/people?q=sales+engineer`);
  assert.deepEqual(await page.locator("li.person h2").allInnerTexts(), ["Sam Seller"]);
  await page.goto(`${eng.url}/people?q=nobody-like-this`);
  assert.match(await page.locator(".empty").innerText(), /Nobody matches/);

  // A phone: nothing scrolls sideways.
  await page.setViewportSize({ width: 360, height: 800 });
  await page.goto(`${eng.url}/people?tag=rust`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, `no sideways scrolling (${overflow}px)`);
  await shot(page, "people-phone");

  assert.deepEqual(seen.problems(), []);
  await context.close();
  // Signed out, the page asks for a sign-in (and never shows the directory).
  const anonymous = await browser.newContext();
  const p2 = await anonymous.newPage();
  await p2.goto(`${eng.url}/people?tag=rust`);
  assert.match(p2.url(), /\/auth\/sign_in\?return_to=%2Fpeople/);
  await anonymous.close();
});
