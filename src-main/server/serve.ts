// Entry of `npm run serve` (built to out/main/serve.cjs): Deltascope headless, for a browser.
import { toErrorPayload } from '../shared';
import { runServe } from './serve-command';

runServe(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`deltascope serve: ${toErrorPayload(error).message}`);
  process.exit(1);
});
