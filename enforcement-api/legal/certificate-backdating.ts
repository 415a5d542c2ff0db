import { addDays, certificateOn, type OfficerCertificate } from '../domain/legal-rules.js';

/**
 * No backdated certificates. A version of an officer's certificate that begins before the day it is
 * recorded may not certify the officer, on any of those past days, for a domain the record did not
 * already certify them for on that day: acts are judged by the certificate in force on their day, and a
 * version written afterwards would turn an act done without a certificate — a capture uploaded late,
 * a step the record refused or never checked — into a lawful one, with nothing but a change-log row to
 * tell. A legal auditor accepts the record as it stood; the platform recognises a certificate from the
 * day it is recorded (the issuing date on the card goes in `reason`), so a certificate entered late,
 * a renewal after a lapse or a domain added applies from today. Refusing only where cases already rely
 * on the officer in the backdated span would not do: a capture refused for want of a certificate leaves
 * no trace in any case, and would be taken once the version is written.
 *
 * Corrections stay possible: a version from a past day that certifies nothing new on the days already
 * past — a mistyped certificate number, an end brought forward, a domain taken away — is recorded as
 * before (the same `validFrom` replaces the earlier version). Pure; catalogue-admin.ts applies it.
 */

/** The domains the history certifies the officer for on `day` (none when no version is in force, or it has ended). */
function domainsOn(history: readonly OfficerCertificate[], day: string): readonly string[] {
  const c = certificateOn(history, day);
  return c !== undefined && c.validUntil >= day ? c.domains : [];
}

/**
 * The first day from `version.validFrom` up to the day before `recordedOn` on which appending `version`
 * to `history` would certify a domain the history did not, and those domains; undefined when there is none.
 */
export function backdatedCoverage(history: readonly OfficerCertificate[], version: OfficerCertificate, recordedOn: string): { day: string; domains: string[] } | undefined {
  const last = addDays(recordedOn, -1);
  if (version.validFrom > last) return undefined;
  const after = [...history, version];
  // What is certified changes only where a version begins or the day after one ends: check those days.
  const days = new Set([version.validFrom]);
  for (const v of after) for (const d of [v.validFrom, addDays(v.validUntil, 1)]) if (d > version.validFrom && d <= last) days.add(d);
  for (const day of [...days].sort()) {
    const before = new Set(domainsOn(history, day));
    const added = domainsOn(after, day).filter((d) => !before.has(d));
    if (added.length > 0) return { day, domains: added };
  }
  return undefined;
}
