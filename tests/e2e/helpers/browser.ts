import { chromium, type Browser } from 'playwright-core';
import { findBrowser } from './find-browser';

/** Headless Chromium (or Chrome, Edge: see find-browser.ts) set up for CI containers: no sandbox, no GPU, no background traffic. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: findBrowser(),
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
