import { inTransaction } from '../core/db/transaction.js';
import { checklistZhStatements, entitiesZhStatements, legalTextsZhStatements, namesZhStatements, rulesZhStatements } from '../enforcement-api/migrations-names.js';
import type pg from 'pg';
import { hashDeviceSecret, hashPassword, newSecret, PASSWORD_HASH_COST } from '../core/secrets.js';
import { SEEDED_BOUNDS } from '../enforcement-api/migrations-legal.js';
import { seedInspectionDemo } from './inspections-seed.js';

/**
 * Demo data for a newcomer (DESIGN §1): one district, two streets with their integrated teams and
 * certified officers, a district fisheries team, one park (class-1 noise zone) and one riverbank
 * (fishing-ban zone with a capacity), their devices, and the matters of the three first violations.
 * Runs only on an empty database.
 */
export const DEMO_USERS = [
  { id: 'u-admin', username: 'admin', role: 'admin', teamId: null, name: 'District administrator' },
  { id: 'u-ops', username: 'ops', role: 'operator', teamId: null, name: 'Operations centre' },
  { id: 'u-hotline', username: 'hotline', role: 'hotline', teamId: null, name: 'Citizen hotline 12345 (operator)' },
  { id: 'u-head', username: 'head', role: 'agency_head', teamId: null, name: 'Bureau head (approves deadline extensions)' },
  { id: 'u-review', username: 'review', role: 'reviewer', teamId: null, name: 'Legal review centre (head)', post: 'rp-centre' },
  { id: 'u-centre-sun', username: 'centre.sun', role: 'reviewer', teamId: null, name: 'Sun Li (legal review centre)', post: 'rp-centre' },
  { id: 'u-centre-qian', username: 'centre.qian', role: 'reviewer', teamId: null, name: 'Qian Hui (legal review centre)', post: 'rp-centre' },
  { id: 'u-east-review', username: 'east.review', role: 'reviewer', teamId: null, name: 'Xu Tao (East Lake Street review post)', post: 'rp-east' },
  { id: 'u-river-review', username: 'river.review', role: 'reviewer', teamId: null, name: 'He Ping (Riverbank Street review post)', post: 'rp-river' },
  { id: 'u-east-li', username: 'east.li', role: 'officer', teamId: 't-east', name: 'Li Wei' },
  { id: 'u-east-wang', username: 'east.wang', role: 'officer', teamId: 't-east', name: 'Wang Fang' },
  { id: 'u-east-lead', username: 'east.lead', role: 'team_lead', teamId: 't-east', name: 'Zhou Min' },
  { id: 'u-river-zhao', username: 'river.zhao', role: 'officer', teamId: 't-river', name: 'Zhao Lei' },
  { id: 'u-river-chen', username: 'river.chen', role: 'officer', teamId: 't-river', name: 'Chen Jing' },
  { id: 'u-fish-liu', username: 'fish.liu', role: 'officer', teamId: 't-fisheries', name: 'Liu Yang' },
  { id: 'u-fish-sun', username: 'fish.sun', role: 'officer', teamId: 't-fisheries', name: 'Sun Hao' },
  { id: 'u-emerg-ma', username: 'emerg.ma', role: 'officer', teamId: 't-emergency', name: 'Ma Jun' },
  { id: 'u-emerg-guo', username: 'emerg.guo', role: 'officer', teamId: 't-emergency', name: 'Guo Rui' },
  { id: 'u-emerg-lead', username: 'emerg.lead', role: 'team_lead', teamId: 't-emergency', name: 'Tang Yu' },
] as const;


/**
 * Discretion benchmarks of the seeded matters: [matter, party kind, tier, min ¥, max ¥, measures, facts, legal basis].
 * Noise: Noise Pollution Prevention and Control Law (2021) art. 82 — persuade and order correction;
 * only a refusal to correct is punished: warning, individuals ¥200–1,000, units ¥2,000–20,000.
 * Fishing: Yangtze River Protection Law art. 86 — confiscation of the catch, illegal gains and gear,
 * ¥10,000–50,000; electric, poison or explosive fishing or other serious circumstances ¥50,000–500,000
 * (Fisheries Law art. 38 alongside). No penalty in either: first minor violation corrected in time
 * (Administrative Penalty Law art. 33). Crowding has no benchmark: it is a safety incident, not a
 * penalty matter.
 */
const NOISE_LAW = 'Noise Pollution Prevention and Control Law art. 82; Administrative Penalty Law art. 32/33';
const FISHING_LAW = 'Yangtze River Protection Law art. 86; Fisheries Law art. 38; Administrative Penalty Law art. 32/33';
const BENCHMARKS: [string, 'individual' | 'unit', string, number, number, string[], string, string][] = [
  ['NOISE-AMPLIFIED', 'individual', 'no_penalty', 0, 0, [], 'first violation, stopped or turned down when ordered to correct, no complaints from residents', NOISE_LAW],
  ['NOISE-AMPLIFIED', 'individual', 'mitigated', 200, 400, ['warning', 'fine'], 'refused to correct at first, corrected before the decision; daytime; exceedance under 5 dB(A)', NOISE_LAW],
  ['NOISE-AMPLIFIED', 'individual', 'normal', 400, 700, ['warning', 'fine'], 'refused to correct; exceedance 5–10 dB(A) or residents complained', NOISE_LAW],
  ['NOISE-AMPLIFIED', 'individual', 'aggravated', 700, 1000, ['warning', 'fine'], 'refused to correct at night or repeatedly, exceedance over 10 dB(A), or obstructed the officers', NOISE_LAW],
  ['NOISE-AMPLIFIED', 'unit', 'no_penalty', 0, 0, [], 'first violation, corrected when ordered', NOISE_LAW],
  ['NOISE-AMPLIFIED', 'unit', 'mitigated', 2000, 8000, ['warning', 'fine'], 'refused at first, corrected before the decision; exceedance under 5 dB(A)', NOISE_LAW],
  ['NOISE-AMPLIFIED', 'unit', 'normal', 8000, 14000, ['warning', 'fine'], 'refused to correct; exceedance 5–10 dB(A) or residents complained', NOISE_LAW],
  ['NOISE-AMPLIFIED', 'unit', 'aggravated', 14000, 20000, ['warning', 'fine'], 'refused at night or repeatedly, exceedance over 10 dB(A), or obstructed the officers', NOISE_LAW],
  ...(['individual', 'unit'] as const).flatMap((kind): [string, 'individual' | 'unit', string, number, number, string[], string, string][] => [
    ['FISHING-BAN', kind, 'no_penalty', 0, 0, [], 'first violation, a single rod, no catch, left at the first warning', FISHING_LAW],
    ['FISHING-BAN', kind, 'mitigated', 10000, 20000, ['confiscation', 'fine'], 'small catch, stopped when approached, cooperated', FISHING_LAW],
    ['FISHING-BAN', kind, 'normal', 20000, 50000, ['confiscation', 'fine'], 'catch taken, or continued after the loudspeaker warnings', FISHING_LAW],
    ['FISHING-BAN', kind, 'aggravated', 50000, 500000, ['confiscation', 'fine'], 'electric, poison or explosive fishing, nets, repeated violation or other serious circumstances (art. 86 para. 2)', FISHING_LAW],
  ]),
];

const square = (lon: number, lat: number, d: number) => ({
  type: 'Polygon',
  coordinates: [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]],
});

export async function seedDemo(pool: pg.Pool, password: string, timezone: string, passwordHashCost = PASSWORD_HASH_COST): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    const existing = await client.query('SELECT 1 FROM districts LIMIT 1');
    if ((existing.rowCount ?? 0) > 0) return false;
    const q = (sql: string, params: unknown[]) => client.query(sql, params);
    await q('INSERT INTO districts (id, name) VALUES ($1, $2)', ['d-riverside', 'Riverside District']);
    await q('INSERT INTO streets (id, district_id, name) VALUES ($1, $3, $2), ($4, $3, $5)', ['s-east', 'East Lake Street', 'd-riverside', 's-river', 'Riverbank Street']);
    const street = ['city_management', 'ecology', 'culture_market', 'emergency'];
    for (const [id, name, kind, streetId, domains] of [
      ['t-east', 'East Lake Street integrated enforcement team', 'street', 's-east', street],
      ['t-river', 'Riverbank Street integrated enforcement team', 'street', 's-river', street],
      ['t-fisheries', 'District agriculture & rural affairs (fisheries) team', 'district', null, ['fisheries']],
      ['t-emergency', 'District emergency management team', 'district', null, ['emergency']],
    ] as const) {
      await q('INSERT INTO teams (id, name, kind, street_id, domains) VALUES ($1, $2, $3, $4, $5)', [id, name, kind, streetId, domains]);
    }
    // Legal review posts: one per street for routine decisions, the district centre for major ones.
    await q(
      `INSERT INTO review_posts (id, name, kind, street_id) VALUES ('rp-east', 'East Lake Street legal review post', 'street', 's-east'),
       ('rp-river', 'Riverbank Street legal review post', 'street', 's-river'), ('rp-centre', 'District legal review centre', 'district', NULL)`,
      [],
    );
    // One hash (and salt) per user: equal hashes would tell anyone reading the table who shares a password.
    const hashes = await Promise.all(DEMO_USERS.map(() => hashPassword(password, passwordHashCost)));
    let cert = 1;
    for (const [i, u] of DEMO_USERS.entries()) {
      await q('INSERT INTO users (id, username, password_hash, role, team_id, display_name, review_post_id) VALUES ($1, $2, $3, $4, $5, $6, $7)', [u.id, u.username, hashes[i], u.role, u.teamId, u.name, 'post' in u ? u.post : null]);
      if (u.teamId) {
        const domains = u.teamId === 't-fisheries' ? ['fisheries'] : u.teamId === 't-emergency' ? ['emergency'] : street;
        // Certificates valid 2019–2028: the demo's (and the tests') acts and captures fall within them.
        await q('INSERT INTO officers (id, user_id, team_id, name) VALUES ($1, $2, $3, $4)', [`o-${u.id.slice(2)}`, u.id, u.teamId, u.name]);
        await q(
          `INSERT INTO officer_certificates (officer_id, certificate_no, valid_from, valid_until, domains, reason) VALUES ($1, $2, $3, $4, $5, 'demo')`,
          [`o-${u.id.slice(2)}`, `ZF-3201-${String(cert++).padStart(5, '0')}`, '2019-01-01', '2028-12-31', domains],
        );
      }
    }
    await q(`INSERT INTO sites (id, street_id, name, kind) VALUES ('site-park', 's-east', 'East Lake Park', 'park'), ('site-river', 's-river', 'North Riverbank', 'riverbank')`, []);
    await q(
      `INSERT INTO zones (id, site_id, name, geometry, noise_class, timezone, capacity, fishing_ban) VALUES
       ('z-park-square', 'site-park', 'East Lake Park central square', $1, '1', $3, 400, false),
       ('z-riverbank', 'site-river', 'North Riverbank promenade (fishing-ban zone)', $2, '2', $3, 150, true),
       ('z-river-steps', 'site-river', 'Old ferry steps (closed to the public)', $4, '2', $3, NULL, true)`,
      [JSON.stringify(square(118.78, 32.04, 0.002)), JSON.stringify(square(118.75, 32.06, 0.004)), timezone, JSON.stringify(square(118.755, 32.064, 0.001))],
    );
    // Both zones follow the national holiday calendar; the square keeps a quieter midday rest period
    // (a zone rule: core/domain/zone-rules.ts, editable at PUT /api/v1/zones/z-park-square/rules).
    await q(`UPDATE zones SET holiday_calendar = 'CN'`, []);
    await q(
      `INSERT INTO zone_rules (id, zone_id, kind, name, days, start_time, end_time, params)
       VALUES ('park-midday-rest', 'z-park-square', 'noise', 'Midday rest period', '{}', '12:00', '14:00', '{"laeq": 50}')`,
      [],
    );
    // Riverside closures (closure rules): the promenade's water edge is closed at night, the old ferry
    // steps all day (slippery, no railing). A person at the edge there is warned, then an intrusion alert.
    await q(
      `INSERT INTO zone_rules (id, zone_id, kind, name, days, start_time, end_time, params, position) VALUES
       ('riverbank-night-closure', 'z-riverbank', 'closure', 'Water edge closed at night', '{}', '22:00', '06:00', '{"closed": true}', 0),
       ('ferry-steps-closed', 'z-river-steps', 'closure', 'Old ferry steps closed', '{}', '00:00', '00:00', '{"closed": true}', 0)`,
      [],
    );
    await q(
      `INSERT INTO matters (code, name, alert_kind, legal_basis, handling_level, department, domain, sla_minutes) VALUES
       ('NOISE-AMPLIFIED', 'Amplified music or loudspeakers above the noise limit in a public place', 'noise',
        'Noise Pollution Prevention and Control Law art. 82', 'street', 'street integrated team (delegated)', 'ecology', 60),
       ('FISHING-BAN', 'Fishing in a fishing-ban zone', 'fishing',
        'Yangtze River Protection Law art. 86; Fisheries Law', 'district', 'agriculture & rural affairs (fisheries)', 'fisheries', 30),
       ('CROWDING', 'Crowding or drowning risk', 'crowding', 'local public-safety rules', 'street', 'street integrated team', 'emergency', 10)`,
      [],
    );
    // A noise penalty rests on a sound level: a meter's record, an uploaded measurement or a recording (not a photo alone).
    await q(`UPDATE matters SET decision_evidence = '{measurement,audio}' WHERE code = 'NOISE-AMPLIFIED'`, []);
    // Crowding is a safety incident: no penalty, no benchmark, no two-officer rule on arrival.
    await q(`UPDATE matters SET penalty = false WHERE code = 'CROWDING'`, []);
    // SLAs (enforcement-api/domain/sla.ts): a team accepts within minutes of the report — drowning risk fastest.
    await q(`UPDATE matters SET accept_sla_minutes = CASE code WHEN 'CROWDING' THEN 3 WHEN 'FISHING-BAN' THEN 10 ELSE 15 END WHERE code IN ('NOISE-AMPLIFIED', 'FISHING-BAN', 'CROWDING')`, []);
    // Chinese names of the matters, zones, teams and staff (migrations 25 and 35 set them on rows that existed then).
    for (const sql of [...namesZhStatements(), ...rulesZhStatements()]) await q(sql, []);
    // Intrusion at the water's edge and smoke/fire come with migration 19 (enforcement-api/migrations-hazards.ts).
    // The law's own limits (enforcement-api/legal/statutory-bounds.ts); the tiers above lie inside them.
    for (const [code, kind, required, min, max, measures, basis] of SEEDED_BOUNDS) {
      await q(
        `INSERT INTO statutory_bounds (matter_code, party_kind, effective_from, fine_required, min_fine_yuan, max_fine_yuan, mandatory_measures, legal_basis)
         VALUES ($1, $2, '2000-01-01', $3, $4, $5, $6, $7)`,
        [code, kind, required, min, max, measures, basis],
      );
    }
    for (const b of BENCHMARKS) {
      await q(
        `INSERT INTO discretion_benchmarks (matter_code, party_kind, tier, min_fine_yuan, max_fine_yuan, measures, facts, legal_basis)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        b,
      );
    }
    // The catalogue's legal texts in Chinese (migration 30 set them on rows that existed then).
    for (const sql of legalTextsZhStatements()) await q(sql, []);
    // Simulated devices get a fresh secret each time the simulator starts; this one is never handed out.
    const unusable = hashDeviceSecret(newSecret());
    for (const [id, zone, kind, speaker, lon, lat] of [
      ['slm-park-1', 'z-park-square', 'sound_level_meter', false, 118.7805, 32.0405],
      ['slm-park-2', 'z-park-square', 'sound_level_meter', false, 118.7815, 32.0412],
      ['pc-park-1', 'z-park-square', 'people_counter', false, 118.781, 32.041],
      ['cam-river-1', 'z-riverbank', 'camera', true, 118.752, 32.062],
      ['slm-river-1', 'z-riverbank', 'sound_level_meter', false, 118.753, 32.061],
      ['cam-steps-1', 'z-river-steps', 'camera', true, 118.7555, 32.0645],
      ['smk-park-1', 'z-park-square', 'smoke_detector', false, 118.7812, 32.0408],
    ] as const) {
      await q(
        `INSERT INTO devices (id, zone_id, kind, secret_hash, has_speaker, placement, placement_published,
           calibration_cert, calibration_valid_until, simulated)
         VALUES ($1, $2, $3, $4, $5, $6, true, $7, $8, true)`,
        // Every measuring device carries a calibration (verification) certificate: without one its records are no evidence.
        [id, zone, kind, unusable, speaker, JSON.stringify({ lon, lat }), `JL-${id}`, '2027-06-30'],
      );
    }
    await seedInspectionDemo(q);
    for (const sql of [...checklistZhStatements(), ...entitiesZhStatements()]) await q(sql, []);
    return true;
  });
}
