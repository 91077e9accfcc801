// eSIM installation data for a subscriber's own line: the activation code (decrypted only here,
// only for the owner), its QR code as SVG and the iOS one-tap install link. The Matching ID inside
// is a secret: it is never logged, and the route marks the answer uncacheable.
import QRCode from 'qrcode';
import type { Queryable } from '../../db/types.ts';
import { conflict } from '../../domain/errors.ts';
import { formatActivationCode, iosInstallUrl, parseActivationCode } from '../../domain/activation-code.ts';
import { invariant } from '../../domain/invariant.ts';
import { decryptSecret, encryptSecret } from '../secrets/service.ts';
import { assertLineUsable, loadLineRow } from './service.ts';

export interface EsimActivation {
  activationCode: string;
  qrSvg: string;
  installUrl: string;
}

/** Associated data binding an encrypted activation code to its card: a value copied to another row fails. */
const activationCodeContext = (iccid: string): string => `sim-activation-code:${iccid}`;

export function encryptActivationCode(secretKey: Buffer, iccid: string, activationCode: string): string {
  return encryptSecret(secretKey, activationCode, activationCodeContext(iccid));
}

/**
 * The owner's activation code — never for a line that is terminated or recycled as of `now`
 * (409): its profile must not be installed again once the number is gone or was taken away.
 */
export async function esimActivation(db: Queryable, secretKey: Buffer, userId: string, lineId: string, now: Date): Promise<EsimActivation> {
  const line = await loadLineRow(db, lineId, { userId });
  if (line.form !== 'esim') throw conflict('not_esim', 'this line is a physical SIM; it has no eSIM activation code');
  await assertLineUsable(db, line, now, 'be installed');
  const { rows } = await db.query<{ activation_code_enc: string | null }>('SELECT activation_code_enc FROM sims WHERE id = $1', [line.sim_id]);
  const stored = rows[0]?.activation_code_enc ?? null;
  invariant(stored !== null, `eSIM line ${line.id} has no activation code`);
  const parsed = parseActivationCode(decryptSecret(secretKey, stored, activationCodeContext(line.iccid)));
  invariant(parsed.ok, `stored activation code of line ${line.id} does not parse`);
  const activationCode = formatActivationCode(parsed.value, { lpaPrefix: true });
  // Error correction M: what phone cameras read reliably from a screen at this payload length.
  const qrSvg = await QRCode.toString(activationCode, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
  return { activationCode, qrSvg, installUrl: iosInstallUrl(activationCode) };
}
