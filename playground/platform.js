// The platform side of the playground. Query parameters (also used by the browser tests):
//   app=<path>         page of the mini-app origin to embed (default /miniapp.html)
//   relay=same|third   forward each refresh request id to a sibling frame that forges an answer
//   frames=<n>         embed the mini-app n times, one host each (default 1)
//   host=plain         answer with plain-host.js, which never dedupes refreshes, instead of
//                      createPlatformHost
//   ratelimit=<n>      the requests-per-second limit the context gives (default 10)
// Any other parameter is passed on to the mini-app page.
(async () => {
  const config = await (await fetch('/config')).json();
  const query = new URLSearchParams(location.search);
  const appPath = query.get('app') || '/miniapp.html';
  const relay = query.get('relay');
  const frameCount = Number(query.get('frames')) || 1;
  const createHost =
    query.get('host') === 'plain' ? window.createPlainHost : ACloudPlatform.createPlatformHost;
  const contextPath = `/context?ratelimit=${Number(query.get('ratelimit')) || 10}`;
  for (const name of ['app', 'relay', 'frames', 'host', 'ratelimit']) query.delete(name);

  const logList = document.getElementById('log');
  const log = (text) => {
    const item = document.createElement('li');
    item.textContent = `${new Date().toISOString().slice(11, 23)}  ${text}`;
    logList.prepend(item);
  };
  document.getElementById('origin').textContent = location.origin;

  const iframe = document.getElementById('app');
  const iframes = [iframe];
  while (iframes.length < frameCount) {
    const another = document.createElement('iframe');
    another.className = 'app';
    another.title = `mini-app ${iframes.length + 1}`;
    iframes[iframes.length - 1].after(another);
    iframes.push(another);
  }

  window.platform = {
    /** Calls of the platform's refresh (token endpoint requests from this page). */
    refreshRequests: 0,
    /** Refresh requests the mini-app frames sent to this page. */
    refreshMessages: 0,
    hosts: iframes.map((frame) =>
      createHost({
        iframe: frame,
        origin: config.appOrigin,
        context: async () => {
          log('handshake: context sent to the mini-app');
          return (await fetch(contextPath)).json();
        },
        refresh: async ({ refreshToken }) => {
          window.platform.refreshRequests += 1;
          log('refresh requested by the mini-app');
          const response = await fetch('/oauth/token', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ refresh_token: refreshToken }),
          });
          const body = await response.json();
          if (!response.ok) {
            log(`refresh refused (${body.error})`);
            throw Object.assign(new Error('the platform refused to refresh the token'), {
              code: 'refresh_denied',
            });
          }
          log('refresh answered with new tokens');
          return body;
        },
      }),
    ),
  };
  window.addEventListener('message', (event) => {
    const data = event.data;
    if (event.origin === config.appOrigin && data && data.method === 'refresh') {
      window.platform.refreshMessages += 1;
    }
  });
  for (const frame of iframes) frame.src = `${config.appOrigin}${appPath}?${query}`;

  if (relay) {
    const sibling = document.getElementById('sibling');
    const siblingOrigin = relay === 'third' ? config.thirdOrigin : location.origin;
    sibling.src = `${siblingOrigin}/sibling.html`;
    window.addEventListener('message', (event) => {
      const data = event.data;
      if (event.source !== iframe.contentWindow || !data || data.method !== 'refresh') return;
      sibling.contentWindow.postMessage({ forge: data.id }, siblingOrigin);
    });
  }

  const control = (body) =>
    fetch('/control', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  document.getElementById('expire').onclick = () => {
    control({ expire: true });
    log('access token expired on the server');
  };
  document.getElementById('refuse').onchange = (event) =>
    control({ rejectRefresh: event.target.checked });
  document.getElementById('silent').onchange = (event) =>
    control({ holdRefresh: event.target.checked });

  const stats = document.getElementById('stats');
  setInterval(async () => {
    const counters = await (await fetch('/stats')).json();
    stats.innerHTML = Object.entries({
      'API requests (replays included)': counters.apiHits,
      '401 answers': counters.unauthorized,
      '200 answers': counters.succeeded,
      'token refreshes': counters.refreshes,
    })
      .map(([name, value]) => `<tr><th>${name}</th><td>${value}</td></tr>`)
      .join('');
    document.getElementById('server-log').textContent = counters.recent.join('\n');
  }, 500);
})();
