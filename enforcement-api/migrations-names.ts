import type { Migration } from '../core/db/migrate.js';

/**
 * Chinese names beside the catalogue's and the district's own (which stay the reference, in English
 * where they were written so): the web app shows `name_zh` in its Chinese UI and `name` in English, and
 * falls back to `name` where a row has none. Matters are catalogue data, edited through the catalogue
 * API (`nameZh`); zones and teams come with the district's set-up (the demo's are named here).
 */
export const NAMES_ZH: Readonly<Record<'matters' | 'zones' | 'teams' | 'review_posts' | 'users' | 'sites' | 'streets', Readonly<Record<string, string>>>> = {
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
  review_posts: {
    'rp-east': '东湖街道法制审核岗',
    'rp-river': '滨河街道法制审核岗',
    'rp-centre': '区法制审核中心',
  },
  sites: {
    'site-park': '东湖公园',
    'site-river': '北滨河',
  },
  streets: {
    's-east': '东湖街道',
    's-river': '滨河街道',
  },
  /** The demo's staff: people by the name they are known by, the shared accounts by what they are. */
  users: {
    'u-admin': '区系统管理员',
    'u-ops': '区运行监测中心',
    'u-hotline': '12345 热线话务员',
    'u-head': '局负责人（审批延期）',
    'u-review': '区法制审核中心（负责人）',
    'u-centre-sun': '孙丽（区法制审核中心）',
    'u-centre-qian': '钱慧（区法制审核中心）',
    'u-east-review': '徐涛（东湖街道法制审核岗）',
    'u-river-review': '何平（滨河街道法制审核岗）',
    'u-east-li': '李伟',
    'u-east-wang': '王芳',
    'u-east-lead': '周敏',
    'u-river-zhao': '赵磊',
    'u-river-chen': '陈静',
    'u-fish-liu': '刘洋',
    'u-fish-sun': '孙浩',
    'u-emerg-ma': '马骏',
    'u-emerg-guo': '郭睿',
    'u-emerg-lead': '唐宇',
  },
};

const KEY = { matters: 'code', zones: 'id', teams: 'id', review_posts: 'id', users: 'id', sites: 'id', streets: 'id' } as const;
const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Sets the Chinese names above on the rows that exist (the demo seed runs them again after inserting its rows). */
export function namesZhStatements(tables = Object.keys(NAMES_ZH) as (keyof typeof NAMES_ZH)[]): string[] {
  return tables.flatMap((table) => Object.entries(NAMES_ZH[table]).map(([id, name]) =>
    `UPDATE ${table} SET name_zh = ${quote(name)} WHERE ${KEY[table]} = ${quote(id)} AND name_zh IS NULL`));
}

export const NAMES_ZH_MIGRATION: Migration = {
  version: 25,
  name: 'Chinese names of matters, zones and teams',
  up: () => [
    `ALTER TABLE matters ADD COLUMN name_zh text`,
    `ALTER TABLE zones ADD COLUMN name_zh text`,
    `ALTER TABLE teams ADD COLUMN name_zh text`,
    ...namesZhStatements(['matters', 'zones', 'teams']),
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

/**
 * The catalogue's legal texts in Chinese beside the English ones (legal bases of matters, statutory bounds
 * and benchmark tiers, and the facts each tier applies to), keyed by the English text: the demo's
 * catalogue is written here; a district's own gets its Chinese texts through the catalogue API
 * (`legalBasisZh`, `factsZh`). A text with no Chinese version is shown in English.
 */
export const LEGAL_TEXTS_ZH: Readonly<Record<string, string>> = {
  'Noise Pollution Prevention and Control Law art. 82': '《中华人民共和国噪声污染防治法》第八十二条',
  'Noise Pollution Prevention and Control Law art. 82; Administrative Penalty Law art. 32/33':
    '《中华人民共和国噪声污染防治法》第八十二条；《中华人民共和国行政处罚法》第三十二条、第三十三条',
  'Yangtze River Protection Law art. 86': '《中华人民共和国长江保护法》第八十六条',
  'Yangtze River Protection Law art. 86; Fisheries Law': '《中华人民共和国长江保护法》第八十六条；《中华人民共和国渔业法》',
  'Yangtze River Protection Law art. 86; Fisheries Law art. 38; Administrative Penalty Law art. 32/33':
    '《中华人民共和国长江保护法》第八十六条；《中华人民共和国渔业法》第三十八条；《中华人民共和国行政处罚法》第三十二条、第三十三条',
  'local public-safety rules': '地方公共安全管理规定',
  'local riverside safety and drowning-prevention rules; Emergency Response Law': '地方滨水安全和防溺水管理规定；《中华人民共和国突发事件应对法》',
  'Fire Protection Law art. 44 (report fires, organise their fighting); Emergency Response Law':
    '《中华人民共和国消防法》第四十四条（报告火警、组织扑救）；《中华人民共和国突发事件应对法》',
};

export const FACTS_ZH: Readonly<Record<string, string>> = {
  'first violation, stopped or turned down when ordered to correct, no complaints from residents': '初次违法，责令改正后立即停止或调低音量，无居民投诉',
  'refused to correct at first, corrected before the decision; daytime; exceedance under 5 dB(A)': '起初拒不改正，处罚决定作出前已改正；昼间；超标不足 5 dB(A)',
  'refused to correct; exceedance 5–10 dB(A) or residents complained': '拒不改正；超标 5–10 dB(A) 或有居民投诉',
  'refused to correct at night or repeatedly, exceedance over 10 dB(A), or obstructed the officers': '夜间或多次拒不改正，超标 10 dB(A) 以上，或阻碍执法人员依法执行职务',
  'first violation, corrected when ordered': '初次违法，责令改正后即改正',
  'refused at first, corrected before the decision; exceedance under 5 dB(A)': '起初拒不改正，处罚决定作出前已改正；超标不足 5 dB(A)',
  'refused at night or repeatedly, exceedance over 10 dB(A), or obstructed the officers': '夜间或多次拒不改正，超标 10 dB(A) 以上，或阻碍执法人员依法执行职务',
  'first violation, a single rod, no catch, left at the first warning': '初次违法，单人单竿，无渔获，首次警告后即离开',
  'small catch, stopped when approached, cooperated': '渔获较少，执法人员到场即停止，配合调查',
  'catch taken, or continued after the loudspeaker warnings': '有渔获，或经喇叭警告后仍继续垂钓',
  'electric, poison or explosive fishing, nets, repeated violation or other serious circumstances (art. 86 para. 2)':
    '电鱼、毒鱼、炸鱼，使用网具，多次违法或有其他严重情节（第八十六条第二款）',
};

/** Sets the Chinese legal texts above where a row's English text matches and it has none yet. */
export function legalTextsZhStatements(): string[] {
  const basis = (table: string) => Object.entries(LEGAL_TEXTS_ZH).map(([en, zh]) =>
    `UPDATE ${table} SET legal_basis_zh = ${quote(zh)} WHERE legal_basis = ${quote(en)} AND legal_basis_zh IS NULL`);
  return [
    ...basis('matters'), ...basis('statutory_bounds'), ...basis('discretion_benchmarks'),
    ...Object.entries(FACTS_ZH).map(([en, zh]) => `UPDATE discretion_benchmarks SET facts_zh = ${quote(zh)} WHERE facts = ${quote(en)} AND facts_zh IS NULL`),
  ];
}

export const LEGAL_TEXTS_ZH_MIGRATION: Migration = {
  version: 30,
  name: 'Chinese legal bases and benchmark facts',
  up: () => [
    `ALTER TABLE matters ADD COLUMN legal_basis_zh text`,
    `ALTER TABLE statutory_bounds ADD COLUMN legal_basis_zh text`,
    `ALTER TABLE discretion_benchmarks ADD COLUMN facts_zh text, ADD COLUMN legal_basis_zh text`,
    ...legalTextsZhStatements(),
  ],
};

/** Review posts get a Chinese name too (the reviewers' queue is titled with it). */
export const POST_NAMES_ZH_MIGRATION: Migration = {
  version: 31,
  name: 'Chinese names of review posts',
  up: () => [`ALTER TABLE review_posts ADD COLUMN name_zh text`, ...namesZhStatements(['review_posts'])],
};

/**
 * The demo checklist's items in Chinese (title, checks point by point, legal basis), keyed by the
 * English version: what officers read on the tablet during an inspection and the public on the
 * published checklist. A district's own items get theirs through the API (`titleZh`, `checksZh`,
 * `legalBasisZh`); an item without them is shown in English.
 */
export const CHECKLIST_ZH: readonly { title: string; titleZh: string; checks: readonly string[]; checksZh: readonly string[]; legalBasis: string; legalBasisZh: string }[] = [
  {
    title: 'Amplified sound at stalls and restaurants', titleZh: '摊点和餐饮场所使用音响器材',
    checks: ['No loudspeaker or amplifier used to attract customers', 'Music or TV inaudible beyond the premises after 22:00', 'Noise complaint notice displayed'],
    checksZh: ['未使用高音喇叭或扩音设备招揽顾客', '22:00 以后音乐或电视声音不传出经营场所', '张贴噪声投诉告知牌'],
    legalBasis: 'Noise Pollution Prevention and Control Law art. 64, 65, 82', legalBasisZh: '《中华人民共和国噪声污染防治法》第六十四条、第六十五条、第八十二条',
  },
  {
    title: 'Construction noise and working hours', titleZh: '建筑施工噪声和作业时间',
    checks: ['No noisy work 22:00–06:00 without a night-work permit', 'Night-work permit displayed when working at night', 'Noise barriers along the park side'],
    checksZh: ['无夜间施工证明的，22:00 至次日 06:00 不进行产生噪声的作业', '夜间施工时公示夜间施工证明', '临公园一侧设置隔声屏障'],
    legalBasis: 'Noise Pollution Prevention and Control Law art. 40, 43, 77', legalBasisZh: '《中华人民共和国噪声污染防治法》第四十条、第四十三条、第七十七条',
  },
  {
    title: 'Fishing-ban compliance of boat operators', titleZh: '船舶经营者遵守禁渔规定情况',
    checks: ['No fishing gear on board or offered for hire', 'No catch on board', 'Fishing-ban notice displayed at the landing'],
    checksZh: ['船上无渔具，不出租渔具', '船上无渔获物', '码头张贴禁渔公告'],
    legalBasis: 'Yangtze River Protection Law art. 53, 86; Fisheries Law art. 38', legalBasisZh: '《中华人民共和国长江保护法》第五十三条、第八十六条；《中华人民共和国渔业法》第三十八条',
  },
];

/** Sets the Chinese texts above on item versions whose English ones match and that have none yet. */
export function checklistZhStatements(): string[] {
  const array = (xs: readonly string[]) => `ARRAY[${xs.map(quote).join(', ')}]::text[]`;
  return CHECKLIST_ZH.flatMap((i) => [
    `UPDATE inspection_item_versions SET title_zh = ${quote(i.titleZh)} WHERE title = ${quote(i.title)} AND title_zh IS NULL`,
    `UPDATE inspection_item_versions SET checks_zh = ${array(i.checksZh)} WHERE checks = ${array(i.checks)} AND checks_zh IS NULL`,
    `UPDATE inspection_item_versions SET legal_basis_zh = ${quote(i.legalBasisZh)} WHERE legal_basis = ${quote(i.legalBasis)} AND legal_basis_zh IS NULL`,
  ]);
}

export const CHECKLIST_ZH_MIGRATION: Migration = {
  version: 32,
  name: 'Chinese texts of the inspection checklist',
  up: () => [`ALTER TABLE inspection_item_versions ADD COLUMN title_zh text, ADD COLUMN checks_zh text[], ADD COLUMN legal_basis_zh text`, ...checklistZhStatements()],
};

/**
 * People's names in Chinese beside the display name (the Chinese screens show `name_zh`, English ones
 * `display_name`): a district's staff are set up with both; the demo's are named here.
 */
export const USER_NAMES_ZH_MIGRATION: Migration = {
  version: 35,
  name: 'Chinese names of users',
  up: () => [`ALTER TABLE users ADD COLUMN name_zh text`, ...namesZhStatements(['users'])],
};

/** The demo's market entities in Chinese: [name, address] by id (the names they trade under). */
export const ENTITIES_ZH: Readonly<Record<string, readonly [string, string]>> = {
  'me-park-tea': ['湖畔茶摊', '东湖公园北门'],
  'me-park-snack': ['广场小吃车', '东湖公园中心广场'],
  'me-park-bbq': ['东湖烧烤店', '湖滨路 12 号'],
  'me-park-noodle': ['园景面馆', '湖滨路 3 号'],
  'me-park-site': ['湖滨路排水工程工地', '湖滨路东段'],
  'me-river-boat1': ['北码头游船', '北滨河 1 号码头'],
  'me-river-boat2': ['滨河渡船与游船租赁', '北滨河 2 号码头'],
  'me-river-kiosk': ['步道饮品亭', '北滨河步道'],
};

/** Sets the demo entities' Chinese name and address where the row has none (the demo seed runs them after inserting its entities). */
export function entitiesZhStatements(): string[] {
  return Object.entries(ENTITIES_ZH).map(([id, [name, address]]) =>
    `UPDATE market_entities SET name_zh = ${quote(name)}, address_zh = ${quote(address)} WHERE id = ${quote(id)} AND name_zh IS NULL`);
}

/** Market entities get a Chinese name and address beside their own (`nameZh`, `addressZh` in the entity API). */
export const ENTITY_NAMES_ZH_MIGRATION: Migration = {
  version: 36,
  name: 'Chinese names and addresses of market entities',
  up: () => [`ALTER TABLE market_entities ADD COLUMN name_zh text, ADD COLUMN address_zh text`, ...entitiesZhStatements()],
};

/** The demo's zone rules in Chinese, by id (alerts citing a rule name it in their Chinese summary). */
export const RULES_ZH: Readonly<Record<string, string>> = {
  'park-midday-rest': '午间休息时段',
  'riverbank-night-closure': '夜间禁止临水',
  'ferry-steps-closed': '老渡口台阶封闭',
};

export function rulesZhStatements(): string[] {
  return Object.entries(RULES_ZH).map(([id, name]) => `UPDATE zone_rules SET name_zh = ${quote(name)} WHERE id = ${quote(id)} AND name_zh IS NULL`);
}

/** Zone rules get a Chinese name beside their own (`nameZh` in the zone rules API). */
export const RULE_NAMES_ZH_MIGRATION: Migration = {
  version: 37,
  name: 'Chinese names of zone rules',
  up: () => [`ALTER TABLE zone_rules ADD COLUMN name_zh text`, ...rulesZhStatements()],
};

/** Sites and streets get a Chinese name too (the site map and the zone list name them). */
export const PLACE_NAMES_ZH_MIGRATION: Migration = {
  version: 38,
  name: 'Chinese names of sites and streets',
  up: () => [`ALTER TABLE sites ADD COLUMN name_zh text`, `ALTER TABLE streets ADD COLUMN name_zh text`, ...namesZhStatements(['sites', 'streets'])],
};
