/**
 * Debian's chromium, headless, driven by playwright-core (which never downloads a browser). The dashboard's browser
 * test and bench use it; without a chromium they skip and say why. $WINHA_CHROMIUM names another executable.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium', '/snap/bin/chromium'];

/** The chromium executable, or undefined. */
export function chromiumPath(): string | undefined {
  const env = process.env['WINHA_CHROMIUM'];
  if (env) return existsSync(env) ? env : undefined;
  return CANDIDATES.find((p) => existsSync(p));
}

/** Why the browser tests skip, or false when they can run. */
export function chromiumMissing(): string | false {
  return chromiumPath()
    ? false
    : `no chromium (apt-get install chromium, or set WINHA_CHROMIUM): the dashboard's browser tests are skipped`;
}

export function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error(chromiumMissing() as string);
  // --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}
