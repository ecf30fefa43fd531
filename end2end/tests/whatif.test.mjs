// The Scaling page with JavaScript off: open it from the Service page, ask for a 60% CPU target,
// max 12 and a sweep of the CPU target through the GET form, and read the sweep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { newPage, screenshotDir, withServerAndBrowser } from './support.mjs';

const SERVICE = '/services/mangu-publishing-cluster-production/mangu-publishing-server-production';

let server;
let browser;
withServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

test('a sweep of the CPU target runs through the form with JavaScript off', async () => {
  const { page, errors, context } = await newPage(browser, { javaScript: false });
  await page.goto(server.base + SERVICE);
  await Promise.all([page.waitForURL(/\/scaling$/), page.click('#scaling-link')]);
  assert.match(await page.locator('#calibration').innerText(), /Calibration: replaying the service's own settings/);
  assert.equal(await page.locator('#tasks-chart svg').count(), 1);

  await page.fill('input[name="target_cpu"]', '60');
  await page.fill('input[name="max"]', '12');
  await page.selectOption('#sweep', 'target-cpu');
  await Promise.all([page.waitForURL(/sweep=target-cpu/), page.click('#replay')]);
  assert.match(page.url(), /target_cpu=60/);
  assert.match(page.url(), /max=12/);

  const rows = page.locator('#sweep-table tbody tr');
  assert.equal(await rows.count(), 11, '40% to 90% in steps of 5');
  assert.equal(await page.locator('#sweep-table tbody tr.current-row').count(), 1);
  assert.equal(await page.locator('#sweep-table tbody tr.recommended-row').count(), 1);
  assert.match(await page.locator('#sweep-table tbody tr.current-row td').first().innerText(), /^60%$/);
  const titles = await page.locator('#frontier-chart svg title').count();
  assert.equal(titles, 11, 'every point of the frontier has a hover title');
  assert.ok((await page.locator('#comparison-table tbody tr').count()) >= 8);
  await page.screenshot({ path: join(screenshotDir, 'js-off-scaling-sweep.png'), fullPage: true });
  await context.close();
  assert.deepEqual(errors, []);
});
