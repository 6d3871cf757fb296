// The web pages in a real browser: signing in with the local form, the start page, a
// profile, a post, and the pages that say something is missing — each renders with no
// script error, no console error and no failed request.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { launchBrowser, screenshot, signIn, startServer, watch } from "./harness.mjs";

let server;
let browser;

before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("an employee signs in with the local form and reads the start page, a profile and a post", async () => {
  const alice = await server.employee("alice");
  const bob = await server.employee("bob");
  const posted = await server.api(alice, "POST", "/api/v1/statuses", {
    status: "Launch is on Friday #launch",
  });
  assert.equal(posted.status, 200, JSON.stringify(posted.body));
  const secret = await server.api(alice, "POST", "/api/v1/statuses", {
    status: "Department only: the launch slips",
    visibility: "local",
  });
  assert.equal(secret.status, 200);

  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = watch(page);

  // The sign-in form refuses a wrong password, on a page.
  await page.goto(`${server.url}/auth/sign_in`);
  await page.fill("#username", "bob");
  await page.fill("#password", "not the password");
  await page.click("button[type=submit]");
  assert.match(await page.locator(".error").innerText(), /password/i);

  await signIn(page, server, bob);
  // Signed in, the start page is the home timeline.
  assert.equal(await page.locator("h1").innerText(), "Home");
  assert.match(await page.locator(".whoami").innerText(), /Signed in as @bob/);
  console.log(`screenshot: ${await screenshot(page, "home-signed-in")}`);

  const profile = await page.goto(`${server.url}/@alice`);
  assert.equal(profile.status(), 200);
  const profileText = await page.locator("main").innerText();
  assert.match(profileText, /Launch is on Friday/);
  // Signed in, an employee sees department-only posts.
  assert.match(profileText, /Department only: the launch slips/);
  console.log(`screenshot: ${await screenshot(page, "profile")}`);

  const status = await page.goto(`${server.url}/@alice/${posted.body.id}`);
  assert.equal(status.status(), 200);
  assert.match(await page.locator("article.post").innerText(), /Launch is on Friday/);
  assert.equal(await page.locator("article.post a[href*='/tags/launch']").count(), 1);
  console.log(`screenshot: ${await screenshot(page, "status")}`);

  // Signing out ends the session.
  await page.goto(server.url + "/");
  await Promise.all([page.waitForURL(server.url + "/"), page.click("form[action='/auth/sign_out'] button")]);
  assert.match(await page.locator("main").innerText(), /Sign in/);
  await page.goto(`${server.url}/@alice`);
  assert.doesNotMatch(await page.locator("main").innerText(), /Department only/);

  assert.deepEqual(seen.problems(), []);
  await context.close();
});

test("what is missing is a readable page, not JSON", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = watch(page);
  for (const path of ["/@nobody", "/@nobody/1"]) {
    const res = await page.goto(server.url + path);
    assert.equal(res.status(), 404, path);
    assert.match(res.headers()["content-type"], /^text\/html/);
    assert.equal(await page.locator("h1").innerText(), "Not found");
  }
  console.log(`screenshot: ${await screenshot(page, "not-found")}`);
  assert.deepEqual(seen.problems(), []);
  await context.close();
});

test("employees can read what is measured and what never is", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = watch(page);
  const res = await page.goto(`${server.url}/about/metrics`);
  assert.equal(res.status(), 200);
  assert.match(await page.locator("h1").innerText(), /measures, and what it never does/);
  assert.match(await page.locator("#min-group").innerText(), /^\d+$/);
  assert.match(await page.locator("#never").innerText(), /no figure, export, page or log names an employee/);
  console.log(`screenshot: ${await screenshot(page, "about-metrics")}`);
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(overflow, false, "no horizontal scroll at 360 px");
  console.log(`screenshot: ${await screenshot(page, "about-metrics-phone")}`);
  assert.deepEqual(seen.problems(), []);
  await context.close();
});
