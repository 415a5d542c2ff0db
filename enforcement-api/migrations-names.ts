import type { Migration } from '../core/db/migrate.js';

/**
 * Chinese names beside the catalogue's and the district's own (which stay the reference, in English
 * where they were written so): the web app shows `name_zh` in its Chinese UI and `name` in English, and
 * falls back to `name` where a row has none. Matters are catalogue data, edited through the catalogue
 * API (`nameZh`); zones and teams come with the district's set-up (the demo's are named here).
 */
export const NAMES_ZH: Readonly<Record<'matters' | 'zones' | 'teams', Readonly<Record<string, string>>>> = {
  matters: {
    'NOISE-AMPLIFIED': '公共场所使用音响器材音量超过噪声限值',
    'FISHING-BAN': '在禁渔区垂钓',
    CROWDING: '人员聚集或溺水风险',
    'INTRUSION-WATER-EDGE': '进入封闭滨水区域临水（溺水风险）',
    'SMOKE-FIRE': '公园或滨河地带烟雾或火情',
  },
  zones: {
    'z-park-square': '东湖公园中心广场',
    'z-riverbank': '北滨河步道（禁渔区）',
    'z-river-steps': '老渡口台阶（禁止进入）',
  },
  teams: {
    't-east': '东湖街道综合行政执法队',
    't-river': '滨河街道综合行政执法队',
    't-fisheries': '区农业农村局渔政执法队',
    't-emergency': '区应急管理综合行政执法队',
  },
};

const KEY = { matters: 'code', zones: 'id', teams: 'id' } as const;
const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Sets the Chinese names above on the rows that exist (the demo seed runs them again after inserting its rows). */
export function namesZhStatements(): string[] {
  return (Object.keys(NAMES_ZH) as (keyof typeof NAMES_ZH)[]).flatMap((table) => Object.entries(NAMES_ZH[table]).map(([id, name]) =>
    `UPDATE ${table} SET name_zh = ${quote(name)} WHERE ${KEY[table]} = ${quote(id)} AND name_zh IS NULL`));
}

export const NAMES_ZH_MIGRATION: Migration = {
  version: 25,
  name: 'Chinese names of matters, zones and teams',
  up: () => [
    `ALTER TABLE matters ADD COLUMN name_zh text`,
    `ALTER TABLE zones ADD COLUMN name_zh text`,
    `ALTER TABLE teams ADD COLUMN name_zh text`,
    ...namesZhStatements(),
  ],
};

/**
 * Case titles in Chinese beside the English ones: alerts carry `summaryZh` (the platform's pipelines, the
 * complaint and inspection intakes write both); older cases keep only `title`, which the UI falls back to.
 */
export const TITLES_ZH_MIGRATION: Migration = {
  version: 29,
  name: 'Chinese case titles',
  up: () => [`ALTER TABLE cases ADD COLUMN title_zh text`],
};
