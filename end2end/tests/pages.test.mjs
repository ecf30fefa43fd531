// Every page, with JavaScript off and on: it loads, has no console error, and the Overview's
// month-to-date figure is the sum stored in the database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { newPage, sql, screenshotDir, withServerAndBrowser } from './support.mjs';

const PAGES = [
  ['Overview', '/'],
  ['Services', '/services'],
  ['Tiers', '/tiers'],
  ['Costs', '/costs'],
  ['Alarms', '/alarms'],
  ['Sync', '/sync'],
];

/** The service the chart tests look at (the demo's busiest). */
const SERVICE = '/services/mangu-publishing-cluster-production/mangu-publishing-server-production';
/** Points the longest line of a time chart must have at every range. */
const MIN_POINTS = 50;

/** The number of points in the longest polyline or path inside `selector`. */
async function longestLine(page, selector) {
  return page.$$eval(`${selector} polyline, ${selector} path`, (els) =>
    Math.max(
      0,
      ...els.map((el) =>
        el.tagName === 'polyline'
          ? el.points.numberOfItems
          : (el.getAttribute('d') ?? '').split(/[MLml]/).filter((p) => p.trim()).length,
      ),
    ),
  );
}

let server;
let browser;
withServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

for (const javaScript of [false, true]) {
  const mode = javaScript ? 'js-on' : 'js-off';

  test(`every page opens from the navigation (${mode})`, async () => {
    const { page, errors, context } = await newPage(browser, { javaScript });
    const first = await page.goto(server.base + '/');
    assert.equal(first.status(), 200);
    for (const [title, path] of PAGES) {
      await Promise.all([page.waitForURL(server.base + path), page.click(`nav >> text="${title}"`)]);
      assert.equal(await page.locator('h1').innerText(), title, `heading of ${path}`);
      assert.equal(await page.locator(`nav a[aria-current="page"]`).innerText(), title, `active nav on ${path}`);
      await page.screenshot({ path: join(screenshotDir, `${mode}-${title.toLowerCase()}.png`), fullPage: true });
    }
    await context.close();
    assert.deepEqual(errors, [], 'no console errors');
  });

  test(`a service page opens from the Services table and draws its charts (${mode})`, async () => {
    const { page, errors, context } = await newPage(browser, { javaScript });
    await page.goto(server.base + '/services');
    await Promise.all([
      page.waitForURL(/\/services\/mangu-publishing-cluster-production\/mangu-publishing-server-production$/),
      page.click('text=mangu-publishing-server-production'),
    ]);
    assert.equal(await page.locator('h1').innerText(), 'mangu-publishing-server-production');
    for (const id of ['cpu-chart', 'mem-chart', 'cpu-cdf', 'mem-cdf', 'tasks-chart']) {
      assert.equal(await page.locator(`#${id} svg`).count(), 1, `${id} is drawn`);
    }
    assert.match(await page.locator('#rec-reason').innerText(), /^p95 CPU \d+\.\d\d vCPU/);
    // The range picker is a plain GET form: it works without JavaScript.
    await Promise.all([page.waitForURL(/range=30d/), page.click('a.chip >> text="30 days"')]);
    assert.equal(await page.locator('a.chip.active').innerText(), '30 days');
    await page.screenshot({ path: join(screenshotDir, `${mode}-service.png`), fullPage: true });
    await context.close();
    assert.deepEqual(errors, []);
  });

  test(`the service page draws a whole line in every time chart at every range (${mode})`, async () => {
    const { page, errors, context } = await newPage(browser, { javaScript });
    await page.goto(server.base + SERVICE);
    const today = new Date();
    const day = (back) => new Date(today.getTime() - back * 86_400_000).toISOString().slice(0, 10);
    const ranges = [
      ...['7', '14', '30', '90'].map((days) => ({
        name: `${days}d`,
        open: () =>
          Promise.all([page.waitForURL(new RegExp(`range=${days}d`)), page.click(`a.chip >> text="${days} days"`)]),
        active: `${days} days`,
      })),
      {
        // A custom range through the form: the last ten days.
        name: 'custom',
        open: async () => {
          await page.fill('input[name="from"]', day(9));
          await page.fill('input[name="to"]', day(0));
          await Promise.all([page.waitForURL(/range=custom/), page.click('button >> text="Show"')]);
        },
        active: 'Show',
      },
    ];
    for (const range of ranges) {
      await range.open();
      await page.waitForSelector('#tasks-chart svg');
      assert.equal(await page.locator('.range-picker .chip.active').innerText(), range.active, `${range.name} is active`);
      for (const id of ['cpu-chart', 'mem-chart', 'tasks-chart']) {
        const longest = await longestLine(page, `#${id} svg`);
        // The demo has 30 days of data, so every range has data in most of its columns: each chart
        // is one continuous line of hourly (or coarser) columns, not dashes of one or two points.
        assert.ok(longest >= MIN_POINTS, `${id} at ${range.name}: longest line has ${longest} points`);
        const hover = await page.locator(`#${id} svg title`).count();
        assert.ok(hover >= MIN_POINTS, `${id} at ${range.name}: ${hover} hover titles`);
      }
      await page.screenshot({ path: join(screenshotDir, `${mode}-service-${range.name}.png`), fullPage: true });
    }
    await context.close();
    assert.deepEqual(errors, []);
  });

  test(`a size's tier reads the same on the card and on the charts, for every service (${mode})`, async () => {
    const { page, errors, context } = await newPage(browser, { javaScript });
    await page.goto(server.base + '/services');
    const hrefs = await page.$$eval('a[href^="/services/"]', (as) => [...new Set(as.map((a) => a.getAttribute('href')))]);
    // A service's own page is /services/{cluster}/{name}; its Scaling page is linked too.
    const links = hrefs.filter((h) => h.split('?')[0].split('/').length === 4);
    assert.ok(links.length >= 5, `${links.length} services`);
    for (const link of links) {
      await page.goto(server.base + link);
      for (const [card, role] of [['#rec-current', 'current'], ['#rec-recommended', 'recommended']]) {
        const tier = (await page.locator(card).innerText()).match(/\(([^)]+)\)$/)?.[1];
        if (!tier || tier === 'no tier') continue;
        for (const chart of ['#cpu-chart', '#mem-chart', '#cpu-cdf', '#mem-cdf']) {
          const labels = await page.$$eval(`${chart} svg text`, (ts) => ts.map((t) => t.textContent.trim()));
          const label = labels.find((l) => l.split(' · ').includes(role));
          if (!label) continue; // the line is beyond the chart's axis
          assert.ok(label.includes(` · ${tier} `), `${link} ${chart}: card says ${role} is ${tier}, chart says "${label}"`);
        }
      }
    }
    await context.close();
    assert.deepEqual(errors, []);
  });

  test(`a range without data says so once per chart instead of empty axes (${mode})`, async () => {
    const { page, errors, context } = await newPage(browser, { javaScript });
    await page.goto(server.base + SERVICE + '?range=custom&from=2020-01-01&to=2020-01-07');
    for (const id of ['cpu-chart', 'mem-chart', 'tasks-chart']) {
      const texts = await page.$$eval(`#${id} svg text`, (ts) => ts.map((t) => t.textContent.trim()));
      assert.deepEqual(texts, ['No data in this range'], id);
    }
    await context.close();
    assert.deepEqual(errors, []);
  });

  test(`overview month-to-date equals the database's sum (${mode})`, async () => {
    const { page, errors, context } = await newPage(browser, { javaScript });
    await page.goto(server.base + '/');
    const shown = await page.locator('#mtd-spend').innerText();
    const now = new Date();
    const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) / 1000;
    const tomorrow = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) / 1000;
    const stored = sql(
      server.db,
      `SELECT printf('%.2f', sum(amount)) FROM costs WHERE granularity = 'DAILY' AND scope = '' ` +
        `AND group_by = 'SERVICE' AND metric = 'UnblendedCost' ` +
        `AND period_start >= ${monthStart} AND period_start < ${tomorrow}`,
    );
    assert.ok(Number(stored) > 0, `the demo has spend this month (${stored})`);
    assert.equal(shown.replace(/[$,]/g, ''), stored);
    await context.close();
    assert.deepEqual(errors, []);
  });
}

test('an unknown page is a styled 404', async () => {
  const { page, errors, context } = await newPage(browser, { javaScript: false });
  const res = await page.goto(server.base + '/no-such-page');
  assert.equal(res.status(), 404);
  assert.match(await page.locator('.error-box').innerText(), /There is no page at \/no-such-page/);
  await page.screenshot({ path: join(screenshotDir, 'not-found.png') });
  await context.close();
  // Chromium reports the 404 response itself as a console error; nothing else may appear.
  assert.deepEqual(errors.filter((e) => !e.includes('404')), []);
});
