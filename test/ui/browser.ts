// Headless Chromium for the UI test: Debian's own build (infra/bootstrap.sh --with-browser),
// driven by playwright-core, which never downloads a browser of its own.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.GODWIT_CHROMIUM ?? '/usr/bin/chromium';

/**
 * As root Chromium needs --no-sandbox. The rest keeps it from dialling out on its own (this
 * network refuses it, and the attempts only slow it down) and from first-run screens.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface UiBrowser {
  page: Page;
  close(): Promise<void>;
}

/** One page in a fresh profile (its own --user-data-dir, removed by `close()`). */
export async function openBrowser(): Promise<UiBrowser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'godwit-ui-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 1000 },
      timeout: 120_000,
    });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw new Error(`cannot start ${CHROMIUM} (run: bash infra/bootstrap.sh --with-browser): ${(err as Error).message}`);
  }
  const page = context.pages()[0] ?? (await context.newPage());
  // The machine is shared and slow: the UI's first load compiles a lot of JavaScript.
  page.setDefaultTimeout(60_000);
  page.setDefaultNavigationTimeout(120_000);
  return {
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
