import { residentIdCheck, usccCheck } from '../enforcement-api/legal/party-ids.js';

/**
 * Demo inspection data: the published checklist (three items), the officers registered as
 * inspectors for them, and market entities around the park and the riverbank with their parties.
 */

type Q = (sql: string, params: unknown[]) => Promise<unknown>;

const NOISE = 'Noise Pollution Prevention and Control Law art. 64, 65, 82';
export const DEMO_ITEMS = [
  {
    code: 'INS-NOISE-BIZ', matter: 'NOISE-AMPLIFIED', title: 'Amplified sound at stalls and restaurants', domain: 'ecology', kinds: ['vendor', 'restaurant'], basis: NOISE,
    checks: ['No loudspeaker or amplifier used to attract customers', 'Music or TV inaudible beyond the premises after 22:00', 'Noise complaint notice displayed'],
  },
  {
    code: 'INS-NOISE-SITE', matter: 'NOISE-AMPLIFIED', title: 'Construction noise and working hours', domain: 'ecology', kinds: ['construction_site'], basis: 'Noise Pollution Prevention and Control Law art. 40, 43, 77',
    checks: ['No noisy work 22:00–06:00 without a night-work permit', 'Night-work permit displayed when working at night', 'Noise barriers along the park side'],
  },
  {
    code: 'INS-FISH-BOAT', matter: 'FISHING-BAN', title: 'Fishing-ban compliance of boat operators', domain: 'fisheries', kinds: ['boat_operator'], basis: 'Yangtze River Protection Law art. 53, 86; Fisheries Law art. 38',
    checks: ['No fishing gear on board or offered for hire', 'No catch on board', 'Fishing-ban notice displayed at the landing'],
  },
] as const;

const INSPECTORS: [string, string[]][] = [
  ['u-east-li', ['INS-NOISE-BIZ', 'INS-NOISE-SITE']],
  ['u-east-wang', ['INS-NOISE-BIZ', 'INS-NOISE-SITE']],
  ['u-east-lead', ['INS-NOISE-BIZ', 'INS-NOISE-SITE']],
  ['u-river-zhao', ['INS-NOISE-BIZ', 'INS-FISH-BOAT']],
  ['u-river-chen', ['INS-NOISE-BIZ', 'INS-FISH-BOAT']],
  ['u-fish-liu', ['INS-FISH-BOAT']],
  ['u-fish-sun', ['INS-FISH-BOAT']],
];

const resident = (first17: string) => first17 + residentIdCheck(first17);
const uscc = (first17: string) => first17 + usccCheck(first17);

const ENTITIES: [string, string, string, string, string, 'individual' | 'unit', string][] = [
  ['me-park-tea', 'Lakeside tea stall', 'vendor', 'z-park-square', 'East Lake Park, north gate', 'individual', resident('32010219800101002')],
  ['me-park-snack', 'Square snack cart', 'vendor', 'z-park-square', 'East Lake Park central square', 'individual', resident('32010219851212003')],
  ['me-park-bbq', 'East Lake barbecue restaurant', 'restaurant', 'z-park-square', '12 Lakeside Road', 'unit', uscc('91320102MA1ABCDE1')],
  ['me-park-noodle', 'Parkview noodle house', 'restaurant', 'z-park-square', '3 Lakeside Road', 'unit', uscc('91320102MA1FGHJK2')],
  ['me-park-site', 'Lakeside Road drainage works', 'construction_site', 'z-park-square', 'Lakeside Road, east section', 'unit', uscc('91320102MA1LMNPQ3')],
  ['me-river-boat1', 'North landing pleasure boats', 'boat_operator', 'z-riverbank', 'North Riverbank landing 1', 'individual', resident('32010219780305004')],
  ['me-river-boat2', 'Riverside ferry and boat hire', 'boat_operator', 'z-riverbank', 'North Riverbank landing 2', 'unit', uscc('91320102MA1RTUWX4')],
  ['me-river-kiosk', 'Promenade drinks kiosk', 'vendor', 'z-riverbank', 'North Riverbank promenade', 'individual', resident('32010219900720005')],
];

export async function seedInspectionDemo(q: Q): Promise<void> {
  for (const i of DEMO_ITEMS) {
    await q(
      `INSERT INTO inspection_item_versions (code, effective_from, matter_code, title, checks, legal_basis, inspector_domain, entity_kinds)
       VALUES ($1, DATE '2026-01-01', $2, $3, $4, $5, $6, $7)`,
      [i.code, i.matter, i.title, i.checks, i.basis, i.domain, i.kinds],
    );
  }
  let n = 1;
  for (const [userId, items] of INSPECTORS) {
    await q(`INSERT INTO inspector_registrations (user_id, certificate_no, valid_from, valid_until, items, reason) VALUES ($1, $2, DATE '2026-01-01', DATE '2028-12-31', $3, 'demo')`,
      [userId, `JC-3201-${String(n++).padStart(4, '0')}`, items]);
  }
  for (const [id, name, kind, zone, address, partyKind, partyId] of ENTITIES) {
    await q(`INSERT INTO parties (id, id_type, kind, name, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $4, now(), now())`,
      [partyId, partyKind === 'unit' ? 'uscc' : 'resident_id', partyKind, name]);
    await q(`INSERT INTO market_entities (id, name, kind, party_id, zone_id, address) VALUES ($1, $2, $3, $4, $5, $6)`, [id, name, kind, partyId, zone, address]);
  }
}
