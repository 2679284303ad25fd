import { chromium, type Browser } from 'playwright-core';

/** The system Chromium (Debian's `chromium` package) unless DELTASCOPE_CHROMIUM names another. */
export const CHROMIUM_PATH = process.env.DELTASCOPE_CHROMIUM ?? '/usr/bin/chromium';

/** Headless Chromium set up for CI containers: no sandbox, no GPU, no background traffic. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
