// Shared setup for the browser tests: a demo database, the real spendwatch binary on a free
// loopback port, and Debian's Chromium driven by playwright-core.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const screenshotDir = resolve(here, '..', 'screenshots');

/** The spendwatch binary: SPENDWATCH_BIN, else the workspace's debug build. */
export function binary() {
  if (process.env.SPENDWATCH_BIN) return process.env.SPENDWATCH_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? resolve(here, '..', '..', 'target');
  return join(target, 'debug', 'spendwatch');
}

/** Runs sqlite3 on the database and returns the trimmed output. */
export function sql(db, query) {
  return execFileSync('sqlite3', [db, query], { encoding: 'utf8' }).trim();
}

/** Writes a demo database (5 services, 30 days: every range and tier case has data) and serves it on 127.0.0.1 at a port the OS picks; `token` turns authentication on (SPENDWATCH_TOKEN). */
export async function startServer({ token } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'spendwatch-e2e-'));
  const db = join(dir, 'demo.db');
  execFileSync(binary(), ['--db', db, 'demo', '--services', '5', '--days', '30'], { stdio: 'inherit' });
  const env = { ...process.env };
  delete env.SPENDWATCH_TOKEN;
  if (token) env.SPENDWATCH_TOKEN = token;
  const child = spawn(binary(), ['--db', db, 'serve', '--bind', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
  });
  const base = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error('spendwatch did not start within 30 s')), 30_000);
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/serving (http:\/\/127\.0\.0\.1:\d+)\//);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`spendwatch exited early with ${code}`)));
  });
  return {
    base,
    db,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Launches Debian's headless Chromium (no sandbox, no GPU, no /dev/shm: it runs in containers). */
export async function launchBrowser() {
  mkdirSync(screenshotDir, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Opens a page that records console errors and uncaught exceptions into `errors`. */
export async function newPage(browser, { javaScript }) {
  const context = await browser.newContext({ javaScriptEnabled: javaScript, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  return { page, errors, context };
}

/**
 * Starts the demo server (with `options`, as startServer takes them) and Chromium before this
 * file's tests and stops both after them; `ready` receives the two once they are up.
 */
export function withServerAndBrowser(ready, options = {}) {
  let server;
  let browser;
  before(async () => {
    server = await startServer(options);
    browser = await launchBrowser();
    ready(server, browser);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });
}
