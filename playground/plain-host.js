// A platform end written from docs/protocol.md alone, as another platform might write it: it
// answers every refresh request with a refresh of its own and never dedupes. The browser tests
// use it (host=plain) to show that the mini-app SDK coordinates on its own.
window.createPlainHost = ({ iframe, origin, context, refresh }) => {
  const answer = (id, body) =>
    iframe.contentWindow.postMessage(
      { protocol: 'aspro.miniapp', version: 1, kind: 'response', id, ...body },
      origin,
    );
  const onMessage = async (event) => {
    const request = event.data;
    if (event.source !== iframe.contentWindow || event.origin !== origin) return;
    if (!request || request.protocol !== 'aspro.miniapp' || request.kind !== 'request') return;
    try {
      if (request.method === 'context') {
        answer(request.id, { ok: true, result: await context() });
      } else if (request.method === 'refresh') {
        const tokens = await refresh({ refreshToken: request.params.refresh_token || '' });
        answer(request.id, {
          ok: true,
          result: {
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token || '',
            expires_at: '',
          },
        });
      }
    } catch (error) {
      answer(request.id, {
        ok: false,
        error: { code: error.code || 'refresh_failed', message: error.message },
      });
    }
  };
  window.addEventListener('message', onMessage);
  return { destroy: () => window.removeEventListener('message', onMessage) };
};
