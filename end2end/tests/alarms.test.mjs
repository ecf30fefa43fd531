// The Alarms pages with JavaScript off: the list, an alarm's page, a backtest submitted through
// its GET form, and the history with its next page; no console error anywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { newPage, screenshotDir, withServerAndBrowser } from './support.mjs';

let server;
let browser;
withServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

test('alarms list, alarm page with a backtest submitted without JavaScript, and history', async () => {
  const { page, errors, context } = await newPage(browser, { javaScript: false });
  await page.goto(`${server.base}/alarms`);
  assert.equal(await page.locator('h1').innerText(), 'Alarms');
  assert.ok(await page.locator('#alarm-timeline svg rect title').count() > 0, 'the timeline has hover titles');
  assert.ok((await page.locator('#noise').innerText()).includes('alb-5xx-errors'), 'the noise report names the flapping alarm');
  // At 1280 px the table fits inside its card (no column cut off at the card's edge).
  const card = await page.locator('section.card', { has: page.locator('#alarms') }).boundingBox();
  const box = await page.locator('#alarms').boundingBox();
  assert.ok(box.x + box.width <= card.x + card.width, `the table (${box.width} px) overflows its card (${card.width} px)`);
  await page.screenshot({ path: join(screenshotDir, 'alarms.png'), fullPage: true });

  await page.locator('#alarms a', { hasText: 'alb-5xx-errors' }).first().click();
  await page.waitForURL(/\/alarms\/alb-5xx-errors$/);
  assert.match(await page.locator('#match-rate').innerText(), /\(100%\)/);
  assert.ok(await page.locator('#metric-chart svg').count() === 1);

  // Try a higher threshold and 2 of 3 through the form.
  await page.locator('#backtest-form input[name=threshold]').fill('30');
  await page.locator('#backtest-form input[name=datapoints]').fill('2');
  await page.locator('#backtest-form input[name=evaluation_periods]').fill('3');
  await page.locator('#backtest-form button[type=submit]').click();
  await page.waitForURL(/threshold=30/);
  const table = await page.locator('#compared').innerText();
  assert.ok(table.includes('Replay, tried settings'), table);
  assert.ok((await page.locator('#suggestion').innerText()).length > 20);
  await page.screenshot({ path: join(screenshotDir, 'alarm-backtest.png'), fullPage: true });

  await page.goto(`${server.base}/alarms/history?limit=10`);
  assert.match(await page.locator('#archive-reach').innerText(), /days of it exist only here/);
  const first = await page.locator('#history-items li').first().getAttribute('id');
  await page.locator('#next-page').click();
  await page.waitForURL(/before=/);
  const second = await page.locator('#history-items li').first().getAttribute('id');
  assert.notEqual(first, second, 'the next page starts elsewhere');
  await page.screenshot({ path: join(screenshotDir, 'alarm-history.png'), fullPage: true });

  assert.deepEqual(errors, []);
  await context.close();
});
