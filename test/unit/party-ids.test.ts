import { describe, expect, it } from 'vitest';
import { checkPartyId, normalisePartyId, residentIdCheck, residentIdProblem, usccCheck, usccProblem } from '../../enforcement-api/legal/party-ids.js';

/**
 * Check characters of party identifiers. The valid samples other than the published ones were made
 * by this implementation after it reproduced the published examples: GB 11643-1999's own
 * 11010519491231002X and the unified social credit code 91350100M000100Y43.
 */

describe('resident identity number (GB 11643, ISO 7064 MOD 11-2)', () => {
  it('reproduces the published example, check character X', () => {
    expect(residentIdCheck('11010519491231002')).toBe('X');
    expect(residentIdProblem('11010519491231002X')).toBeUndefined();
  });

  it.each([
    '11010519491231002X',
    '320102198805050013',
    '440304199001011233',
    '510107200002290029', // 29 February 2000
  ])('accepts %s', (id) => expect(residentIdProblem(id)).toBeUndefined());

  it.each([
    ['110105194912310021', 'check digit'], // the example with a wrong check digit
    ['320102198805050012', 'check digit'],
    ['32010219880505001', '17 digits'], // one short
    ['3201021988050500131', '17 digits'], // one long
    ['020102198805050013', '17 digits'], // region cannot start with 0
    ['32010219880505001A', '17 digits'], // only X as a letter
    ['510107199002290029', 'not a date'], // 29 February 1990
    ['320102198813050013', 'not a date'], // month 13
  ])('refuses %s (%s)', (id, why) => expect(residentIdProblem(id)).toContain(why));
});

describe('unified social credit code (GB 32100, MOD 31)', () => {
  it('reproduces the published example', () => {
    expect(usccCheck('91350100M000100Y4')).toBe('3');
    expect(usccProblem('91350100M000100Y43')).toBeUndefined();
  });

  it.each(['91350100M000100Y43', '91320102MA1NXQ8K29', '12100000400000111N', '52110000MJ0000012A'])('accepts %s', (code) => expect(usccProblem(code)).toBeUndefined());

  it.each([
    ['91350100M000100Y44', 'check character'],
    ['91320102MA1NXQ8K28', 'check character'],
    ['91350100M000100Y4', '18 characters'],
    ['91350100M0001O0Y43', '18 characters'], // the letter O is not in the alphabet
    ['9135010AM000100Y43', '18 characters'], // the region is six digits
    ['91350100I000100Y43', '18 characters'], // nor is I
  ])('refuses %s (%s)', (code, why) => expect(usccProblem(code)).toContain(why));
});

describe('normalising and checking by kind of party', () => {
  it('normalises case, spaces, hyphens and full-width characters before checking', () => {
    expect(normalisePartyId(' 11010519491231002x ')).toBe('11010519491231002X');
    expect(normalisePartyId('9135 0100-m000 100y43')).toBe('91350100M000100Y43');
    expect(normalisePartyId('１１０１０５１９４９１２３１００２ｘ')).toBe('11010519491231002X');
    expect(checkPartyId('11010519491231002x', 'individual')).toEqual({ ok: true, id: '11010519491231002X', idType: 'resident_id' });
    expect(checkPartyId('91350100m000100y43', 'unit')).toEqual({ ok: true, id: '91350100M000100Y43', idType: 'uscc' });
    expect(checkPartyId('e1234 5678', 'individual', 'passport')).toEqual({ ok: true, id: 'E12345678', idType: 'passport' });
  });

  it('refuses an identifier of the wrong kind or type', () => {
    expect(checkPartyId('91350100M000100Y43', 'individual')).toMatchObject({ ok: false });
    expect(checkPartyId('11010519491231002X', 'unit')).toMatchObject({ ok: false });
    expect(checkPartyId('E12345678', 'unit', 'passport')).toMatchObject({ ok: false, message: expect.stringContaining('uscc') });
    expect(checkPartyId('ID-320102198805050011', 'individual')).toMatchObject({ ok: false });
    expect(checkPartyId('P1', 'individual', 'passport')).toMatchObject({ ok: false });
  });

  it('refuses a unit\'s credit code passed off as an individual\'s passport number', () => {
    expect(checkPartyId('9135 0100 M000 100Y43', 'individual', 'passport')).toMatchObject({ ok: false, message: expect.stringContaining('unit') });
    // An 18-character passport-like number whose check character is wrong for a credit code stays a passport.
    expect(checkPartyId('91350100M000100Y44', 'individual', 'passport')).toMatchObject({ ok: true, idType: 'passport' });
  });
});
