/**
 * Parties (当事人) are identified, and identified the same way every time (DESIGN §3 Enforcement):
 *
 *  - individuals by their resident identity number (公民身份号码, GB 11643-1999): 17 digits and a check
 *    character, ISO 7064 MOD 11-2 (`X` for 10), with a real date of birth; or by a passport number;
 *  - units by their unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters of
 *    the 31-character alphabet without I, O, Z, S, V, the last a MOD 31 check character.
 *
 * An id is normalised before it is checked or stored (Unicode NFKC, so full-width digits count; spaces
 * and hyphens dropped; upper case), so the lower-case or spaced form of a known id finds the same party.
 * Pure: no I/O.
 */

export const PARTY_ID_TYPES = ['resident_id', 'passport', 'uscc'] as const;
export type PartyIdType = (typeof PARTY_ID_TYPES)[number];

/** The canonical form of an identifier as typed: NFKC, no spaces or hyphens, upper case. */
export function normalisePartyId(raw: string): string {
  return raw.normalize('NFKC').replace(/[\s-]+/g, '').toUpperCase();
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

/** The GB 11643 check character of the first 17 digits. */
export function residentIdCheck(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * ID_WEIGHTS[i]!;
  return ID_CHECK[sum % 11]!;
}

function validDate(y: number, m: number, d: number): boolean {
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

/** Why a (normalised) resident identity number is not valid; undefined = it is. */
export function residentIdProblem(id: string): string | undefined {
  if (!/^[1-9]\d{16}[\dX]$/.test(id)) return 'a resident identity number is 17 digits (the first not 0) and a check digit or X';
  const [y, m, d] = [Number(id.slice(6, 10)), Number(id.slice(10, 12)), Number(id.slice(12, 14))];
  if (y < 1900 || !validDate(y, m, d)) return `the date of birth ${id.slice(6, 14)} is not a date`;
  const check = residentIdCheck(id.slice(0, 17));
  return check === id[17] ? undefined : `the check digit is ${id[17]}, the number's digits give ${check} (GB 11643)`;
}

/** The date of birth (YYYY-MM-DD) a valid, normalised resident identity number carries (digits 7–14). */
export function residentIdBirthDate(id: string): string {
  return `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
}

/** GB 32100 code characters: digits and upper-case letters without I, O, Z, S, V. */
const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** The GB 32100 check character of the first 17 characters. */
export function usccCheck(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_ALPHABET.indexOf(first17[i]!) * USCC_WEIGHTS[i]!;
  return USCC_ALPHABET[(31 - (sum % 31)) % 31]!;
}

/** Why a (normalised) unified social credit code is not valid; undefined = it is. */
export function usccProblem(code: string): string | undefined {
  if (!/^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/.test(code)) {
    return 'a unified social credit code is 18 characters: 2 code characters, a 6-digit region, 10 code characters (no I, O, Z, S, V)';
  }
  const check = usccCheck(code.slice(0, 17));
  return check === code[17] ? undefined : `the check character is ${code[17]}, the code gives ${check} (GB 32100)`;
}

/** Why a (normalised) passport number is not acceptable; undefined = it is. */
export function passportProblem(no: string): string | undefined {
  return /^[A-Z0-9]{5,20}$/.test(no) ? undefined : 'a passport number is 5 to 20 letters and digits';
}

export type PartyKindOfId = 'individual' | 'unit';

/** The id types a kind of party may be identified by; the first is assumed when none is stated. */
export const ID_TYPES_OF: Record<PartyKindOfId, readonly PartyIdType[]> = {
  individual: ['resident_id', 'passport'],
  unit: ['uscc'],
};

export type PartyIdCheck = { ok: true; id: string; idType: PartyIdType } | { ok: false; message: string };

/** Normalises and checks an identifier of a party of this kind (`idType` defaults by kind). */
export function checkPartyId(raw: string, kind: PartyKindOfId, idType?: PartyIdType): PartyIdCheck {
  const type = idType ?? ID_TYPES_OF[kind][0]!;
  if (!ID_TYPES_OF[kind].includes(type)) {
    return { ok: false, message: `a${kind === 'unit' ? ' unit' : 'n individual'} is identified by ${ID_TYPES_OF[kind].join(' or ')}, not ${type}` };
  }
  const id = normalisePartyId(raw);
  // A unit's credit code (its check character right) named as an individual's passport is a unit.
  const problem = type === 'resident_id' ? residentIdProblem(id) : type === 'uscc' ? usccProblem(id)
    : passportProblem(id) ?? (usccProblem(id) === undefined ? 'this is a unified social credit code (GB 32100): the party is a unit (partyKind unit)' : undefined);
  return problem === undefined ? { ok: true, id, idType: type } : { ok: false, message: `${raw}: ${problem}` };
}
