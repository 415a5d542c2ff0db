import { reject, type Rejection } from './case-lifecycle.js';

/**
 * Who may open an inspection (pure; enforcement-api/inspections/workflow.ts reads the facts through the repositories):
 * only for an item on the checklist in force that applies to the entity's kind; only by a registered
 * inspector whose certificate is valid that day and covers the item; with a second such inspector
 * named, who then confirms from their own session; not again for the same entity and item within the
 * repeat period unless a case about the entity's party justifies it. The first failed rule is the answer.
 */

export interface InspectorRegistration {
  userId: string;
  certificateNo: string;
  validFrom: string;
  validUntil: string;
  items: string[];
}

export interface OpeningFacts {
  /** The day of the opening (YYYY-MM-DD, the bureau's timezone). */
  day: string;
  itemCode: string;
  /** The item as in force that day (null: not on the published checklist). */
  item: { code: string; entityKinds: string[] } | null;
  entity: { id: string; kind: string; partyId: string | null };
  lead: { userId: string; registration: InspectorRegistration | null };
  second: { userId: string | null; registration: InspectorRegistration | null };
  /** When the inspection was drawn or assigned to named inspectors (empty: not assigned). */
  assigned: string[];
  /** The latest earlier opening of this entity for this item, and the repeat period in days. */
  lastOpenedAt: Date | null;
  repeatDays: number;
  now: Date;
  /** The case named as justification, when one is. */
  justifyingCase: { id: string; partyId: string | null; state: string } | null;
}

const certified = (r: InspectorRegistration, day: string) => r.validFrom <= day && day <= r.validUntil;

export function openingRefusal(f: OpeningFacts): Rejection | undefined {
  if (!f.item) return reject(422, 'ITEM_NOT_LISTED', `${f.itemCode} is not on the published inspection checklist in force on ${f.day}`);
  if (!f.item.entityKinds.includes(f.entity.kind)) return reject(422, 'ITEM_NOT_FOR_ENTITY', `${f.itemCode} is not checked at a ${f.entity.kind.replace('_', ' ')}`);
  const lead = f.lead.registration;
  if (!lead) return reject(403, 'INSPECTOR_NOT_REGISTERED', 'you are not a registered inspector');
  if (!certified(lead, f.day)) return reject(403, 'CERTIFICATE_NOT_VALID', `your inspector certificate ${lead.certificateNo} is valid ${lead.validFrom} to ${lead.validUntil}, not on ${f.day}`);
  if (!lead.items.includes(f.itemCode)) return reject(403, 'ITEM_NOT_PERMITTED', `your certificate ${lead.certificateNo} does not cover ${f.itemCode}`);
  if (!f.second.userId || f.second.userId === f.lead.userId) return reject(422, 'SECOND_INSPECTOR_REQUIRED', 'an inspection needs a second certified inspector present');
  const second = f.second.registration;
  if (!second || !certified(second, f.day) || !second.items.includes(f.itemCode)) {
    return reject(422, 'SECOND_INSPECTOR_NOT_CERTIFIED', `${f.second.userId} is not a registered inspector with a valid certificate covering ${f.itemCode}`);
  }
  if (f.assigned.length > 0 && !(f.assigned.includes(f.lead.userId) && f.assigned.includes(f.second.userId))) {
    return reject(422, 'NOT_ASSIGNED', 'this inspection was assigned to other inspectors');
  }
  const repeatUntil = f.lastOpenedAt ? f.lastOpenedAt.getTime() + f.repeatDays * 86_400_000 : 0;
  if (f.lastOpenedAt && f.now.getTime() < repeatUntil) {
    if (!f.justifyingCase) {
      return reject(409, 'REPEAT_INSPECTION', `${f.entity.id} was inspected for ${f.itemCode} on ${f.lastOpenedAt.toISOString().slice(0, 10)}; again only after ${new Date(repeatUntil).toISOString().slice(0, 10)} unless a case justifies it`);
    }
    if (f.justifyingCase.state === 'dismissed' || !f.entity.partyId || f.justifyingCase.partyId !== f.entity.partyId) {
      return reject(422, 'CASE_DOES_NOT_JUSTIFY', `case ${f.justifyingCase.id} is not an open or decided case about this entity's party`);
    }
  }
  return undefined;
}
