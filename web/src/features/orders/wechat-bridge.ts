// WeChat Pay's JSAPI cashier, opened through WeixinJSBridge — an object WeChat's in-app browser
// injects into the page, sometimes only after the page's own scripts ran (it then fires
// `WeixinJSBridgeReady` on the document). The bridge's answer only says what the payer did: the
// order is paid when the server says so (the provider's notification), never because of it.

interface WeixinJSBridgeLike {
  invoke(name: 'getBrandWCPayRequest', args: Record<string, string>, callback: (result: { err_msg?: string } | undefined) => void): void;
}

declare global {
  interface Window {
    WeixinJSBridge?: WeixinJSBridgeLike;
  }
}

/** ok: the payer paid (the server still confirms); cancel: closed the cashier; fail: WeChat refused; unavailable: no bridge here. */
export type JsapiOutcome = 'ok' | 'cancel' | 'fail' | 'unavailable';

/** How long to wait for WeChat to inject its bridge before saying it is not there. */
const BRIDGE_WAIT_MS_MAX = 5_000;

function bridgeReady(): Promise<WeixinJSBridgeLike | null> {
  const present = window.WeixinJSBridge;
  if (present) return Promise.resolve(present);
  return new Promise((resolve) => {
    const settle = () => {
      clearTimeout(timer);
      document.removeEventListener('WeixinJSBridgeReady', settle);
      resolve(window.WeixinJSBridge ?? null);
    };
    const timer = setTimeout(settle, BRIDGE_WAIT_MS_MAX);
    document.addEventListener('WeixinJSBridgeReady', settle);
  });
}

/** Opens WeChat Pay's cashier with the server's signed arguments; resolves with what the payer did. */
export async function payWithWechatBridge(request: Record<string, string>): Promise<JsapiOutcome> {
  const bridge = await bridgeReady();
  if (!bridge) return 'unavailable';
  return new Promise((resolve) => {
    bridge.invoke('getBrandWCPayRequest', { ...request }, (result) => {
      const message = result?.err_msg ?? '';
      if (message.endsWith(':ok')) resolve('ok');
      else if (message.endsWith(':cancel')) resolve('cancel');
      else resolve('fail');
    });
  });
}
