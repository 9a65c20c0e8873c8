// `npm run playground`: the platform page and a demo mini-app on two loopback origins.
// Open the printed URL; Ctrl+C stops it.
import { execFileSync } from 'node:child_process';
import { startPlayground } from '../__tests__/helpers/playground';

async function main(): Promise<void> {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  const playground = await startPlayground();
  console.log(`
Platform page:  ${playground.platformOrigin}/
  embeds the mini-app from ${playground.appOrigin} (a second origin)

Open the platform page, press "Burst of 20 API calls" in the mini-app, then "Expire the access
token" and burst again: 20 requests, 20 401s, one refresh through the platform, 20 replays.
"Refuse refreshes" makes the platform say no; every call then fails with OAuth2RefreshError.
Ctrl+C stops the servers.`);
  const stop = () => {
    void playground.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
