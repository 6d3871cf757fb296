// The employee web app in a real browser, across two real departments (Engineering and
// Sales) federating on localhost: sign in; find a colleague of the other department in the
// directory by an interest hashtag and follow them; post with an image and its description;
// see it on the other department's company timeline; reply from there and see the thread
// on both; a department-only post never shown to the other department; compose with the
// keyboard alone; favourite, boost and bookmark in place; notifications; a 360 px phone
// never scrolls sideways. Screenshots of every page, desktop and phone.

import assert from "node:assert/strict";
import { dirname, resolve } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { accessibilityProblems, eventually, launchBrowser, screenshot, signIn, sleep, startDepartments, watch } from "./harness.mjs";

const IMAGE = resolve(dirname(fileURLToPath(import.meta.url)), "../../frontend/static/header.png");

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

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Screenshots of the page on a desktop and on a 360 px phone, which must not scroll sideways;
 * and no WCAG 2 A/AA problem axe-core can find (labels, names, landmarks, contrast).
 */
async function shots(page, name) {
  await page.setViewportSize({ width: 1280, height: 900 });
  assert.deepEqual(await accessibilityProblems(page), [], `${name}: accessibility`);
  console.log(`screenshot: ${await screenshot(page, `app-${name}`)}`);
  await page.setViewportSize({ width: 360, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, `${name}: no sideways scrolling at 360 px (${overflow}px)`);
  console.log(`screenshot: ${await screenshot(page, `app-${name}-phone`)}`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** Post through the compose box on the current page. */
async function compose(page, text, { visibility = "public", image, alt, spoiler } = {}) {
  await page.fill("#status", text);
  if (spoiler) await page.fill("#spoiler_text", spoiler);
  await page.locator(`input[name=visibility][value=${visibility}]`).check();
  if (image) {
    await page.locator("details.extra summary", { hasText: "Images" }).click();
    await page.setInputFiles("#image1", image);
    await page.fill("#alt1", alt);
  }
  await Promise.all([page.waitForURL(/done=posted/), page.locator("#compose button[type=submit]").click()]);
  assert.match(await page.locator(".notice").innerText(), /Posted/);
}

test("employees of two departments read, post, reply and discover each other in the browser", async () => {
  const bob = await eng.employee("bob");
  const ada = await eng.employee("ada");
  const sam = await sales.employee("sam");
  // Bob posts about #rust, so the directory knows what he knows about.
  assert.equal((await eng.api(bob, "POST", "/api/v1/statuses", { status: "Notes on #rust lifetimes" })).status, 200);

  const bobContext = await browser.newContext();
  const bobPage = await bobContext.newPage();
  const bobSeen = watch(bobPage);
  const samContext = await browser.newContext();
  const samPage = await samContext.newPage();
  const samSeen = watch(samPage);

  // Sign in: the start page is the home timeline with a compose box.
  await signIn(samPage, sales, sam, "/");
  assert.equal(await samPage.locator("h1").innerText(), "Home");
  assert.equal(await samPage.locator("#compose").count(), 1);

  // Sam (Sales) finds Bob (Engineering) in the directory by #rust, and follows him.
  await eventually(async () => {
    await samPage.goto(`${sales.url}/people?tag=rust`);
    return (await samPage.locator("li.person").count()) === 1;
  }, 30_000, "Engineering's directory synced to Sales");
  await Promise.all([
    samPage.waitForURL(/done=/),
    samPage.locator("li.person").first().getByRole("button", { name: /Follow/ }).click(),
  ]);
  await eventually(async () => {
    const me = await eng.api(bob, "GET", "/api/v1/accounts/verify_credentials");
    return me.body.followers_count === 1;
  }, 30_000, "Sam's follow to reach Engineering");

  // Bob posts, department-only first, then company-wide with an image and its description.
  await signIn(bobPage, eng, bob, "/");
  await compose(bobPage, "Department only: the reorg slides are in the shared drive", { visibility: "local" });
  const deptOnly = bobPage.locator("article.post", { hasText: "the reorg slides" });
  assert.match(await deptOnly.locator(".meta").innerText(), /Department only/i);
  await compose(bobPage, "Our new build dashboard for #rust services", {
    image: IMAGE,
    alt: "A dashboard with green build bars",
  });
  const posted = bobPage.locator("article.post", { hasText: "build dashboard" });
  assert.equal(await posted.locator("img[alt='A dashboard with green build bars']").count(), 1);
  await shots(bobPage, "home");

  // Sam sees it on Sales' company timeline, with the image's description.
  await eventually(async () => {
    await samPage.goto(`${sales.url}/company`);
    return (await samPage.locator("article.post", { hasText: "build dashboard" }).count()) === 1;
  }, 30_000, "Bob's post on Sales' company timeline");
  const there = samPage.locator("article.post", { hasText: "build dashboard" });
  assert.equal(await there.locator("img[alt='A dashboard with green build bars']").count(), 1);
  assert.match(await there.locator(".acct").innerText(), new RegExp(`@bob@${escape(eng.domain)}`));
  // The department-only post never reaches Sales: not on its company timeline, not at home.
  assert.equal(await samPage.locator("article.post", { hasText: "reorg slides" }).count(), 0);
  await shots(samPage, "company");
  await samPage.goto(`${sales.url}/`);
  await eventually(async () => {
    await samPage.reload();
    return (await samPage.locator("article.post", { hasText: "build dashboard" }).count()) === 1;
  }, 30_000, "Bob's post in Sam's home timeline");
  assert.equal(await samPage.locator("article.post", { hasText: "reorg slides" }).count(), 0);

  // Sam favourites it in place (the page stays where it is), then replies from the thread.
  await samPage.goto(`${sales.url}/company`);
  const fav = there.locator("button[data-act=favourite]");
  await fav.click();
  await eventually(async () => (await fav.getAttribute("aria-pressed")) === "true", 5_000, "the favourite shown");
  assert.equal(await there.locator("button[data-act=favourite] .n").innerText(), "1");
  await Promise.all([samPage.waitForURL(/#compose$/), there.locator("a[data-act=reply]").click()]);
  assert.match(await samPage.locator("#status").inputValue(), new RegExp(`^@bob@${escape(eng.domain)} `));
  await samPage.locator("#status").press("End");
  await samPage.locator("#status").pressSequentially("Looks great, can Sales use it for quotes?");
  await Promise.all([samPage.waitForURL(/done=posted/), samPage.locator("#compose button[type=submit]").click()]);
  const threadHere = await samPage.locator(".thread").innerText();
  assert.match(threadHere, /build dashboard/);
  assert.match(threadHere, /can Sales use it for quotes/);
  await shots(samPage, "thread");

  // Bob sees the reply in the thread on Engineering, and in his notifications.
  await bobPage.goto(`${eng.url}/`);
  const mine = bobPage.locator("article.post", { hasText: "build dashboard" });
  await Promise.all([bobPage.waitForURL(/\/@bob\/\d+$/), mine.locator("a.when").click()]);
  const threadUrl = bobPage.url();
  await eventually(async () => {
    await bobPage.goto(threadUrl);
    return /can Sales use it for quotes/.test(await bobPage.locator(".thread").innerText());
  }, 30_000, "Sam's reply in the thread on Engineering");
  await shots(bobPage, "thread-other-department");
  // Each arrives by its own delivery from Sales: wait for all three.
  await eventually(async () => {
    await bobPage.goto(`${eng.url}/notifications`);
    const notes = await bobPage.locator("ul.notifications").innerText();
    return [/favourited your post/, /mentioned you/, /followed you/].every((re) => re.test(notes));
  }, 30_000, "Sam's follow, favourite and reply in Bob's notifications");
  await shots(bobPage, "notifications");

  // The department-only post is on Engineering's department timeline, never on Sales'.
  await bobPage.goto(`${eng.url}/local`);
  assert.equal(await bobPage.locator("article.post", { hasText: "reorg slides" }).count(), 1);
  await shots(bobPage, "department");
  await samPage.goto(`${sales.url}/company`);
  assert.equal(await samPage.locator("article.post", { hasText: "reorg slides" }).count(), 0);
  await samPage.goto(`${sales.url}/@bob@${eng.domain}`);
  assert.match(await samPage.locator("main").innerText(), /build dashboard/);
  assert.doesNotMatch(await samPage.locator("main").innerText(), /reorg slides/);
  await shots(samPage, "profile-other-department");

  // Keyboard only: Ada composes with "n", completes a mention, chooses department-only, posts
  // with Ctrl+Enter; then favourites a post with "j" and "f".
  const adaContext = await browser.newContext();
  const adaPage = await adaContext.newPage();
  const adaSeen = watch(adaPage);
  await signIn(adaPage, eng, ada, "/local");
  await adaPage.keyboard.press("n");
  assert.equal(await adaPage.evaluate(() => document.activeElement.id), "status");
  await adaPage.keyboard.type("Thanks @bo");
  await adaPage.locator("#suggestions li").first().waitFor();
  assert.match(await adaPage.locator("#suggestions").innerText(), /@bob/);
  await adaPage.keyboard.press("Enter");
  await adaPage.keyboard.type("for the slides #reorg");
  assert.equal(await adaPage.locator("#status").inputValue(), "Thanks @bob for the slides #reorg");
  // Tab to the visibility choices, then the arrow keys move between them.
  await adaPage.keyboard.press("Tab");
  await adaPage.keyboard.press("Tab");
  assert.equal(await adaPage.evaluate(() => document.activeElement.name), "visibility");
  await adaPage.keyboard.press("ArrowDown");
  assert.equal(await adaPage.locator("input[name=visibility]:checked").getAttribute("value"), "local");
  await adaPage.keyboard.press("Shift+Tab");
  await adaPage.keyboard.press("Shift+Tab");
  await Promise.all([adaPage.waitForURL(/done=posted/), adaPage.keyboard.press("Control+Enter")]);
  const adas = adaPage.locator("article.post", { hasText: "Thanks @bob for the slides" });
  assert.match(await adas.locator(".meta").innerText(), /Department only/i);
  await adaPage.keyboard.press("j");
  await adaPage.keyboard.press("j");
  const focused = await adaPage.evaluate(() => document.activeElement.id);
  assert.match(focused, /^post-\d+$/);
  await adaPage.keyboard.press("f");
  await eventually(
    async () => (await adaPage.locator(`#${focused} button[data-act=favourite]`).getAttribute("aria-pressed")) === "true",
    5_000,
    "the favourite by keyboard",
  );
  await adaPage.keyboard.press("?");
  assert.ok(await adaPage.locator("#shortcuts").isVisible());
  await adaPage.keyboard.press("Escape");
  await shots(adaPage, "department-keyboard");
  // Sales never sees Ada's department-only post either.
  await sleep(1000);
  await samPage.goto(`${sales.url}/company`);
  assert.equal(await samPage.locator("article.post", { hasText: "for the slides" }).count(), 0);

  // Bookmarks, the hashtag timeline, the compose page, follow requests, lists.
  await samPage.goto(`${sales.url}/company`);
  await there.locator("button[data-act=bookmark]").click();
  await eventually(async () => (await there.locator("button[data-act=bookmark]").getAttribute("aria-pressed")) === "true", 5_000, "bookmarked");
  await samPage.goto(`${sales.url}/bookmarks`);
  assert.match(await samPage.locator(".posts").innerText(), /build dashboard/);
  await shots(samPage, "bookmarks");
  await samPage.goto(`${sales.url}/tags/rust`);
  assert.match(await samPage.locator(".posts").innerText(), /build dashboard/);
  await shots(samPage, "hashtag");
  for (const [path, name] of [["/compose", "compose"], ["/follow_requests", "follow-requests"], ["/lists", "lists"], ["/favourites", "favourites"], [`/@sam`, "profile-own"]]) {
    const res = await samPage.goto(`${sales.url}${path}`);
    assert.equal(res.status(), 200, path);
    await shots(samPage, name);
  }

  // Bad input is a readable page that keeps what was written.
  await samPage.goto(`${sales.url}/compose`);
  await samPage.fill("#status", "x".repeat(10));
  await samPage.locator("details.extra summary", { hasText: "Poll" }).click();
  await samPage.fill("#poll1", "Only one choice");
  await samPage.locator("#compose button[type=submit]").click();
  assert.match(await samPage.locator(".error").innerText(), /poll|option/i);
  assert.equal(await samPage.locator("#status").inputValue(), "x".repeat(10));

  // The pages around the app, signed out and in: the same checks and screenshots.
  const visitor = await browser.newContext();
  const visitorPage = await visitor.newPage();
  for (const [path, name] of [["/", "start"], ["/auth/sign_in", "sign-in"], ["/about/metrics", "about-metrics"], [new URL(threadUrl).pathname, "post-public"], ["/@bob", "profile-public"]]) {
    const res = await visitorPage.goto(`${eng.url}${path}`);
    assert.equal(res.status(), 200, path);
    await shots(visitorPage, name);
  }
  await visitor.close();
  await samPage.goto(`${sales.url}/people?tag=rust`);
  await shots(samPage, "people");

  // The dark theme (the browser's preference), as readable.
  const dark = await browser.newContext({ colorScheme: "dark" });
  const darkPage = await dark.newPage();
  await signIn(darkPage, eng, bob, "/");
  assert.equal(await darkPage.evaluate(() => getComputedStyle(document.body).backgroundColor), "rgb(20, 22, 29)");
  await shots(darkPage, "home-dark");
  await darkPage.goto(`${eng.url}/@bob`);
  await shots(darkPage, "profile-dark");
  await dark.close();

  assert.deepEqual(bobSeen.problems(), []);
  assert.deepEqual(samSeen.problems(), []);
  assert.deepEqual(adaSeen.problems(), []);
  await Promise.all([bobContext.close(), samContext.close(), adaContext.close()]);
});
