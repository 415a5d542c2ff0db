/** The people of DESIGN §2, as roles a token carries. */
export const ROLES = ['officer', 'team_lead', 'operator', 'reviewer', 'admin'] as const;
export type Role = (typeof ROLES)[number];
