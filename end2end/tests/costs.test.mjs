// The Costs page with JavaScript off: every grouping is reached through the page's own GET form,
// renders its charts and table, and the range total is the sum stored in the database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { newPage, sql, screenshotDir, withServerAndBrowser } from './support.mjs';

let server;
let browser;
withServerAndBrowser((s, b) => {
  server = s;
  browser = b;
});

/** Dollars as the page writes them (`$1,234.56`) as a number. */
const dollars = (text) => Number(text.replace(/[$,]/g, ''));

test('the Costs page in each grouping, JavaScript off', async () => {
  const { page, errors, context } = await newPage(browser, { javaScript: false });
  const first = await page.goto(server.base + '/costs');
  assert.equal(first.status(), 200);
  const from = await page.inputValue('#from');
  const to = await page.inputValue('#to');
  for (const [groupBy, scope, column] of [
    ['usage-type', 'Amazon Elastic Container Service', 'USAGE_TYPE'],
    ['tag:aws:ecs:serviceName', 'Amazon Elastic Container Service', 'TAG:aws:ecs:serviceName'],
    ['service', '', 'SERVICE'],
  ]) {
    await page.selectOption('#group_by', groupBy);
    await Promise.all([page.waitForURL(/group_by=/), page.click('button >> text="Show"')]);
    assert.equal(await page.locator('h1').innerText(), 'Costs');
    assert.equal(await page.locator('#group_by').inputValue(), groupBy, 'the picker keeps the grouping');
    for (const id of ['daily-chart', 'monthly-chart', 'waterfall-chart']) {
      assert.equal(await page.locator(`#${id} svg`).count(), 1, `${id} is drawn (${groupBy})`);
    }
    assert.ok((await page.locator('#groups tbody tr').count()) > 1, `group rows (${groupBy})`);
    const stored = Number(
      sql(
        server.db,
        `SELECT printf('%.2f', sum(amount)) FROM costs WHERE granularity = 'DAILY' AND metric = 'UnblendedCost'
           AND scope = '${scope}' AND group_by = '${column}'
           AND period_start >= strftime('%s', '${from}') AND period_start < strftime('%s', '${to}')`,
      ),
    );
    for (const id of ['range-total', 'groups-total']) {
      const shown = dollars(await page.locator(`#${id}`).innerText());
      assert.ok(Math.abs(shown - stored) < 0.006, `${id} ${shown} is the stored ${stored} (${groupBy})`);
    }
    const safe = groupBy.replace(/[^a-z]/g, '-');
    await page.screenshot({ path: join(screenshotDir, `js-off-costs-${safe}.png`), fullPage: true });
  }
  await context.close();
  assert.deepEqual(errors, [], 'no console errors');
});
