// Entry of dist/miniapp-jssdk.min.js: everything in the package, as window.ACloudMiniApp,
// plus initializeFrame at the top level as the reference's script-tag example calls it.
import { App } from './index';

export * from './index';

/** Same as `App.initializeFrame()`: `await window.ACloudMiniApp.initializeFrame()`. */
export const initializeFrame = App.initializeFrame;
