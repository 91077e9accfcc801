// Which install route suits this device, from its user agent: iOS 17.4 and later install an eSIM
// from a link in one tap; everything else scans the QR code or types the two values.

export type InstallRoute = 'ios-link' | 'qr';

const IOS = /\b(?:iPhone|iPad|iPod)\b.*? OS (\d+)_(\d+)/;
const ONE_TAP_SINCE = { major: 17, minor: 4 };

export function installRouteFor(userAgent: string): InstallRoute {
  const match = IOS.exec(userAgent);
  if (!match) return 'qr';
  const major = Number(match[1]);
  const minor = Number(match[2]);
  const oneTap = major > ONE_TAP_SINCE.major || (major === ONE_TAP_SINCE.major && minor >= ONE_TAP_SINCE.minor);
  return oneTap ? 'ios-link' : 'qr';
}
