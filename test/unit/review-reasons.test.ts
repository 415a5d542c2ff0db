import { describe, expect, it } from 'vitest';
import { reviewRouting } from '../../enforcement-api/domain/legal-rules.js';
import { reviewReasonZh, reviewReasons } from '../../web/src/review-reasons.js';

describe('why a proposal is major, on the Chinese screens', () => {
  it('renders every reason the server gives in Chinese', () => {
    const { reasons } = reviewRouting(
      { penalties: ['fine', 'confiscation', 'suspension', 'licence_revocation'], fineYuan: 12000, hearingRequired: true },
      true, 10000,
    );
    const combined = reviewRouting({ penalties: ['fine'], fineYuan: 6000 }, false, 10000, [{ caseNumber: 12, fineYuan: 3000 }, { caseNumber: 15, fineYuan: 2500 }]).reasons;
    const one = reviewRouting({ penalties: ['fine'], fineYuan: 6000 }, false, 10000, [{ caseNumber: 7, fineYuan: 4000 }]).reasons;
    const all = [...reasons, ...combined, ...one];
    expect(all).toHaveLength(8);
    for (const reason of all) {
      const zh = reviewReasonZh(reason);
      expect(zh, reason).toMatch(/[\u4e00-\u9fff]/);
      expect(zh, reason).not.toMatch(/[A-Za-z]{2,}/);
    }
    expect(reviewReasons(reasons, 'zh')).toBe('罚款 ¥12,000，达到重大处罚标准 ¥10,000；没收；责令停产停业；吊销许可证；需要听证；超出裁量基准');
    expect(reviewReasonZh(combined[0]!)).toBe('与案件 #12 (¥3000)、#15 (¥2500) 合计，当事人同日同一事项的罚款共 ¥11,500，达到重大处罚标准 ¥10,000');
    expect(reviewReasons(reasons, 'en')).toBe(reasons.join('; '));
  });

  it('shows a reason of another form as it was recorded', () => {
    expect(reviewReasonZh('referred by the agency head')).toBe('referred by the agency head');
  });
});
