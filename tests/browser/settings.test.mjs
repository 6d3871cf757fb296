// An employee's settings in a real browser: the profile edited (an avatar uploaded), a session
// revoked from another browser, an export downloaded; every settings page on a desktop and
// on a 360 px phone, screenshotted, without sideways scrolling.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";

import { eventually, launchBrowser, screenshot, signIn, startDepartments, watch } from "./harness.mjs";

const AVATAR = resolve(dirname(fileURLToPath(import.meta.url)), "../../frontend/static/avatar.png");
const PAGES = ["profile", "notifications", "sessions", "export"];

let eng;
let sales;
let browser;

before(async () => {
  [[eng, sales], browser] = await Promise.all([startDepartments(["Engineering", "Sales"]), launchBrowser()]);
});

after(async () => {
  await browser?.close();
  await eng?.stop();
  await sales?.stop();
});

async function shot(page, name) {
  console.log(`screenshot: ${await screenshot(page, name)}`);
}

async function noSidewaysScrolling(page, what) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `${what}: no sideways scrolling at 360 px (${width}px wide)`);
}

test("an employee edits their profile, revokes a session and exports their data", async () => {
  const alice = await eng.employee("alice");
  const sam = await sales.employee("sam");
  const posted = await eng.api(alice, "POST", "/api/v1/statuses", { status: "Only for #eng eyes", visibility: "local" });
  assert.equal(posted.status, 200, JSON.stringify(posted.body));
  // Alice follows Sam in Sales.
  const found = await eventually(async () => {
    const res = await eng.api(alice, "GET", `/api/v2/search?q=${encodeURIComponent(`@sam@${sales.domain}`)}&resolve=true&type=accounts`);
    return res.body.accounts?.[0];
  }, 30_000, "Sam to be found from Eng");
  assert.equal((await eng.api(alice, "POST", `/api/v1/accounts/${found.id}/follow`, {})).status, 200);

  const laptop = await browser.newContext({ acceptDownloads: true });
  const page = await laptop.newPage();
  const seen = watch(page);
  // /settings asks for a sign-in first, then shows the profile settings.
  await signIn(page, eng, alice, "/settings/profile");
  assert.match(await page.locator(".settings-nav [aria-current=page]").innerText(), /Profile/);

  // The profile: typed, ticked and uploaded as an employee does, then saved.
  await page.fill("#display_name", "Alice Liddell");
  await page.fill("#note", "Platform engineer. Ask me about #rust");
  await page.fill("#field-name-1", "Pronouns");
  await page.fill("#field-value-1", "she/her");
  await page.check("#privacy-local");
  await page.check("#locked");
  await page.uncheck("#discoverable");
  await page.selectOption("#language", "de");
  await page.setInputFiles("#avatar", AVATAR);
  await Promise.all([page.waitForURL(/done=saved/), page.getByRole("button", { name: "Save profile" }).click()]);
  assert.match(await page.locator(".notice").innerText(), /Saved/);
  assert.equal(await page.inputValue("#display_name"), "Alice Liddell");
  assert.ok(await page.isChecked("#privacy-local"));
  assert.match(await page.locator("img.preview.avatar").getAttribute("src"), /\/media\//);
  const me = (await eng.api(alice, "GET", "/api/v1/accounts/verify_credentials")).body;
  assert.equal(me.display_name, "Alice Liddell");
  assert.equal(me.source.privacy, "local");
  assert.equal(me.locked, true);
  assert.equal(me.discoverable, false);
  assert.deepEqual(me.fields.map((f) => [f.name, f.value]), [["Pronouns", "she/her"]]);
  assert.match(me.avatar, /\/media\//);
  // The avatar is served.
  const avatar = await fetch(me.avatar);
  assert.equal(avatar.status, 200);
  await shot(page, "settings-profile");

  // The notification policy, with the keyboard alone.
  await page.goto(`${eng.url}/settings/notifications`);
  await page.focus("#for_not_following");
  await page.selectOption("#for_not_following", "filter");
  await Promise.all([page.waitForURL(/done=notifications/), page.getByRole("button", { name: "Save notifications" }).press("Enter")]);
  const policy = (await eng.api(alice, "GET", "/api/v2/notifications/policy")).body;
  assert.equal(policy.for_not_following, "filter");

  // A second browser (the phone) signs in; the laptop signs it out.
  const phone = await browser.newContext();
  const phonePage = await phone.newPage();
  await signIn(phonePage, eng, alice, "/settings/sessions");
  await page.goto(`${eng.url}/settings/sessions`);
  const rows = page.locator("li.row:has(input[name=session])");
  assert.equal(await rows.count(), 2);
  assert.match(await page.locator("li.row.current").innerText(), /This browser/);
  await shot(page, "settings-sessions");
  const other = page.locator("li.row:not(.current):has(input[name=session])");
  await Promise.all([page.waitForURL(/done=ended/), other.getByRole("button").click()]);
  assert.equal(await rows.count(), 1);
  await phonePage.goto(`${eng.url}/settings/profile`);
  assert.match(phonePage.url(), /\/auth\/sign_in\?return_to=%2Fsettings%2Fprofile/);
  await phone.close();

  // Exports: the follows file in Mastodon's format, the posts with the department-only one.
  await page.goto(`${eng.url}/settings/export`);
  await shot(page, "settings-export");
  const [follows] = await Promise.all([page.waitForEvent("download"), page.click("a[href='/settings/export/follows.csv']")]);
  assert.match(follows.suggestedFilename(), /^following_accounts-alice-\d{4}-\d\d-\d\d\.csv$/);
  const csv = readFileSync(await follows.path(), "utf8");
  assert.equal(csv, `Account address,Show boosts,Notify on new posts,Languages\nsam@${sales.domain},true,false,\n`);
  const [posts] = await Promise.all([page.waitForEvent("download"), page.click("a[href='/settings/export/posts.json']")]);
  const exported = JSON.parse(readFileSync(await posts.path(), "utf8"));
  assert.deepEqual(exported.map((p) => [p.text, p.visibility]), [["Only for #eng eyes", "local"]]);

  // Every page on a desktop and on a phone.
  for (const name of PAGES) {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${eng.url}/settings/${name}`);
    await shot(page, `settings-${name}-desktop`);
    await page.setViewportSize({ width: 360, height: 800 });
    await page.reload();
    await noSidewaysScrolling(page, name);
    await shot(page, `settings-${name}-phone`);
  }

  assert.deepEqual(seen.problems(), []);
  await laptop.close();
});

test("keyboard users reach every settings form field with labels, in dark mode too", async () => {
  const bob = await eng.employee("bob");
  const context = await browser.newContext({ colorScheme: "dark", viewport: { width: 360, height: 800 } });
  const page = await context.newPage();
  await signIn(page, eng, bob, "/settings/profile");
  // Every form control has a label (or is a hidden input).
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll("main input, main select, main textarea")]
      .filter((el) => el.type !== "hidden" && el.labels.length === 0)
      .map((el) => el.name),
  );
  assert.deepEqual(unlabelled, []);
  // Tab from the sub-navigation reaches the display name.
  await page.focus(".settings-nav a[aria-current=page]");
  await eventually(async () => {
    await page.keyboard.press("Tab");
    return (await page.evaluate(() => document.activeElement?.id)) === "display_name";
  }, 5_000, "Tab to reach the display name");
  await noSidewaysScrolling(page, "profile, dark");
  await shot(page, "settings-profile-dark-phone");
  await context.close();
});
