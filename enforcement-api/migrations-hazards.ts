import type { Migration } from '../core/db/migrate.js';

/**
 * The catalogue's two safety matters raised by devices (DESIGN §1 "also on devices"): a person at the
 * water's edge in a closed riverside zone, and smoke or fire. Neither is a penalty matter; each has its
 * own SLA (accept within `accept_sla_minutes`, on site within `sla_minutes`), smoke the shortest.
 * [code, name, alert kind, legal basis, handling level, department, domain, support domain, on-site SLA, accept SLA]
 */
export const HAZARD_MATTERS: readonly [string, string, string, string, 'street' | 'district', string, string, string | null, number, number][] = [
  ['INTRUSION-WATER-EDGE', "Person at the water's edge in a closed riverside zone (drowning risk)", 'intrusion',
    'local riverside safety and drowning-prevention rules; Emergency Response Law', 'street',
    'street integrated team with district emergency management', 'emergency', 'emergency', 10, 2],
  ['SMOKE-FIRE', 'Smoke or fire in a park or on the riverbank', 'smoke',
    'Fire Protection Law art. 44 (report fires, organise their fighting); Emergency Response Law', 'district',
    'district emergency management', 'emergency', null, 5, 1],
];

const quote = (s: string | null) => (s === null ? 'NULL' : `'${s.replace(/'/g, "''")}'`);

/**
 * Intrusion and smoke: zone closures as zone rules (kind `closure`), a support team on cases (the
 * district emergency management team works an intrusion beside the street team), the support domain
 * of a matter, and the two matters.
 */
export const HAZARDS_MIGRATION: Migration = {
  version: 19,
  name: 'closure rules, support teams, intrusion and smoke matters',
  up: () => [
    `ALTER TABLE zone_rules DROP CONSTRAINT zone_rules_kind_check`,
    `ALTER TABLE zone_rules ADD CONSTRAINT zone_rules_kind_check CHECK (kind IN ('noise', 'fishing', 'crowding', 'closure'))`,
    `ALTER TABLE matters ADD COLUMN support_domain text`,
    `ALTER TABLE cases ADD COLUMN support_team_id text REFERENCES teams`,
    `CREATE INDEX cases_support_team ON cases (support_team_id) WHERE support_team_id IS NOT NULL`,
    `INSERT INTO matters (code, name, alert_kind, legal_basis, handling_level, department, domain, support_domain, sla_minutes, accept_sla_minutes, penalty) VALUES
      ${HAZARD_MATTERS.map((m) => `(${m.slice(0, 8).map((v) => quote(v as string | null)).join(', ')}, ${m[8]}, ${m[9]}, false)`).join(',\n      ')}
      ON CONFLICT DO NOTHING`,
  ],
};
