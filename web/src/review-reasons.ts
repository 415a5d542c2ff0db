/**
 * Why a proposal goes to the district centre, in Chinese. The server records each reason as an English
 * sentence (enforcement-api/domain/legal-rules.ts, `reviewRouting`), kept on the proposal as it was
 * given; the Chinese screens render the same facts. A reason of another form is shown as recorded.
 * (test/unit/review-reasons.test.ts renders every reason the server can give.)
 */
const MEASURES: Record<string, string> = {
  confiscation: '没收',
  'suspension of production or business': '责令停产停业',
  'licence revocation': '吊销许可证',
  'hearing required': '需要听证',
  'outside the discretion benchmark': '超出裁量基准',
};

const cny = (amount: string | undefined) => `¥${Number(amount).toLocaleString('zh-CN')}`;

const FORMS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^fine of ¥(\d+(?:\.\d+)?) at or above ¥(\d+(?:\.\d+)?)$/, (m) => `罚款 ${cny(m[1])}，达到重大处罚标准 ${cny(m[2])}`],
  [
    /^with cases? (.+) the party's fines for this matter on the day of the act come to ¥(\d+(?:\.\d+)?), at or above ¥(\d+(?:\.\d+)?)$/,
    (m) => `与案件 ${m[1]!.replaceAll(', ', '、')} 合计，当事人同日同一事项的罚款共 ${cny(m[2])}，达到重大处罚标准 ${cny(m[3])}`,
  ],
];

export function reviewReasonZh(reason: string): string {
  const measure = MEASURES[reason];
  if (measure) return measure;
  for (const [form, render] of FORMS) {
    const m = form.exec(reason);
    if (m) return render(m);
  }
  return reason;
}

/** A proposal's review reasons in the screen's language. */
export const reviewReasons = (reasons: readonly string[], language: 'zh' | 'en'): string =>
  (language === 'zh' ? reasons.map(reviewReasonZh).join('；') : reasons.join('; '));
