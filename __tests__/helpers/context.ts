import type { FrameContext } from '../../src/protocol';

/** A context as the platform hands it over. */
export const sampleContext: FrameContext = {
  https: true,
  language: 'en',
  domain: 'example.aspro.cloud',
  account: { id: 'acc-1' },
  app: { id: 'app-1', version: '1.0.0' },
  auth: { access_token: 'access-0', refresh_token: 'refresh-0', expires_at: '2099-01-01 00:00:00' },
  placement: { id: 'placement-7', code: 'app.homepage', props: {} },
  ratelimit: { limit: 5 },
};
