/** The people of DESIGN §2, as roles a token carries. */
/** `agency_head`: the head of the bureau (行政机关负责人), who alone extends a decision deadline. */
export const ROLES = ['officer', 'team_lead', 'operator', 'reviewer', 'admin', 'agency_head'] as const;
export type Role = (typeof ROLES)[number];
