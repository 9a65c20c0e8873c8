// The demo mini-app: the script-tag build, as a mini-app inside the platform would use it.
// Query parameters: timeoutMs (bridge timeout), targetOrigin (instead of the automatic one),
// coordinate=off (this frame refreshes on its own, not once with its siblings).
const query = new URLSearchParams(location.search);
const logList = document.getElementById('log');
const log = (text) => {
  const item = document.createElement('li');
  item.textContent = `${new Date().toISOString().slice(11, 23)}  ${text}`;
  logList.prepend(item);
};
document.getElementById('origin').textContent = location.origin;

const describe = (error) =>
  [error.name, error.code, error.cause && error.cause.name].filter(Boolean).join(':');

window.miniapp = {
  onRefreshCalls: 0,
  onRefreshErrorCalls: 0,
  ready: window.ACloudMiniApp.initializeFrame({
    timeoutMs: Number(query.get('timeoutMs')) || undefined,
    targetOrigin: query.get('targetOrigin') || undefined,
    coordinateRefresh: query.get('coordinate') !== 'off',
  }),
  /** Fires `count` concurrent calls; resolves to 'ok' or the error's name:code:cause of each. */
  async burst(count) {
    const frame = await this.ready;
    log(`burst: ${count} calls`);
    const outcomes = await Promise.allSettled(
      Array.from({ length: count }, (_, index) => frame.rest.get(`/core/user/get/${index}`)),
    );
    const results = outcomes.map((outcome) =>
      outcome.status === 'fulfilled' ? 'ok' : describe(outcome.reason),
    );
    const succeeded = results.filter((result) => result === 'ok').length;
    log(`burst done: ${succeeded} succeeded, ${count - succeeded} failed`);
    return results;
  },
  async refresh() {
    const frame = await this.ready;
    return frame.rest.oauth2.refresh().then(
      (result) => ({ ok: true, accessToken: result.accessToken }),
      (error) => ({ ok: false, error: describe(error) }),
    );
  },
};

window.miniapp.ready.then(
  (frame) => {
    log(`ready on ${frame.domain}, platform at ${frame.targetOrigin}`);
    frame.rest.oauth2.events = {
      onRefresh: () => {
        window.miniapp.onRefreshCalls += 1;
        log('onRefresh: new tokens from the platform');
      },
      onRefreshError: (error) => {
        window.miniapp.onRefreshErrorCalls += 1;
        log(`onRefreshError: ${describe(error)}`);
      },
    };
  },
  (error) => log(`initializeFrame failed: ${describe(error)}`),
);

document.getElementById('burst').onclick = () => window.miniapp.burst(20);
document.getElementById('refresh').onclick = async () => {
  const outcome = await window.miniapp.refresh();
  log(outcome.ok ? 'forced refresh done' : `forced refresh failed: ${outcome.error}`);
};
