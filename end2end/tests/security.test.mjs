// Issue 13 in a real browser: a server started with a token is used through the browser's own
// Basic login (any user name, the token as password), its pages load with nothing blocked by the
// Content-Security-Policy, its own "Sync now" form works, and a POST from another origin is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { screenshotDir, withServerAndBrowser } from './support.mjs';

const token = 'e2e-token-' + Math.random().toString(36).slice(2);
let server;
let browser;
withServerAndBrowser((s, b) => {
  server = s;
  browser = b;
}, { token });

/** A context logged in through Basic authentication, recording console errors (CSP violations are ones). */
async function loggedIn({ javaScript = true } = {}) {
  const context = await browser.newContext({
    javaScriptEnabled: javaScript,
    httpCredentials: { username: 'someone', password: token },
    viewport: { width: 1280, height: 900 },
  });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  return { context, page, errors };
}

test('without the token every page is 401 with a Basic challenge, /healthz answers', async () => {
  const context = await browser.newContext();
  // Asked as the browser's own request API: a navigation that meets a Basic challenge with no
  // credentials is aborted by headless Chromium (ERR_INVALID_AUTH_CREDENTIALS) before a status.
  const res = await context.request.get(server.base + '/services');
  assert.equal(res.status(), 401);
  assert.match(res.headers()['www-authenticate'] ?? '', /^Basic /);
  const health = await context.request.get(server.base + '/healthz');
  assert.equal(health.status(), 200);
  await context.close();
});

test('logging in through Basic auth opens every page with nothing blocked by the CSP', async () => {
  const { context, page, errors } = await loggedIn();
  const res = await page.goto(server.base + '/');
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-security-policy'] ?? '', /frame-ancestors 'none'/);
  const links = await page.$$eval('nav a', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(links.length >= 4, `navigation links: ${links}`);
  for (const href of links) {
    const r = await page.goto(server.base + href);
    assert.equal(r.status(), 200, href);
  }
  await page.goto(server.base + '/');
  await page.screenshot({ path: join(screenshotDir, 'security-logged-in-overview.png'), fullPage: true });
  assert.deepEqual(errors, [], 'no console errors (a CSP violation is one)');
  await context.close();
});

test("the Sync page's own form passes the same-origin check", async () => {
  const { context, page, errors } = await loggedIn({ javaScript: false });
  await page.goto(server.base + '/sync');
  const button = page.locator('#sync-now');
  if ((await button.count()) === 0) {
    await context.close();
    return; // a sync is already running: nothing to press
  }
  await button.click();
  await page.waitForLoadState('load');
  assert.doesNotMatch(await page.content(), /refused/, 'our own form is not taken for a forgery');
  assert.match(page.url(), /\/sync(\?|$)/, 'back on the Sync page');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a POST from another origin is refused with 403 and a reason', async () => {
  const { context } = await loggedIn();
  const foreign = await context.request.post(server.base + '/api/sync_now', {
    headers: { origin: 'https://evil.example' },
    form: {},
    maxRedirects: 0,
  });
  assert.equal(foreign.status(), 403);
  assert.match(await foreign.text(), /refused/);
  await context.close();
});
