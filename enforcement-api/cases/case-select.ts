/** The columns of a case as the API shows it (contract/http/cases.ts): every read of whole cases starts here. */
export const CASE_SELECT = `SELECT c.id, c.number, c.incident_id AS "incidentId", c.kind, c.zone_id AS "zoneId", z.name AS "zoneName", z.name_zh AS "zoneNameZh",
  c.matter_code AS "matterCode", m.name AS "matterName", m.name_zh AS "matterNameZh", c.team_id AS "teamId", tm.name AS "teamName", tm.name_zh AS "teamNameZh", c.support_team_id AS "supportTeamId", st.name AS "supportTeamName", st.name_zh AS "supportTeamNameZh", c.state, c.title, c.title_zh AS "titleZh", c.sla_due_at AS "slaDueAt",
  c.created_at AS "createdAt", c.updated_at AS "updatedAt", i.alert_count AS "alertCount",
  c.assigned_to AS "assignedTo", c.state_changed_at AS "stateChangedAt", c.review_submitted_at AS "reviewSubmittedAt",
  c.dismissal_reason AS "dismissalReason", c.on_site_officers AS "onSiteOfficers", c.filed_at AS "filedAt",
  c.decision_due_at AS "decisionDueAt", c.decided_late AS "decidedLate", c.review_post_id AS "reviewPostId",
  c.review_level AS "reviewLevel", c.party_id AS "partyId", c.resolution
  FROM cases c JOIN zones z ON z.id = c.zone_id JOIN incidents i ON i.id = c.incident_id
  LEFT JOIN matters m ON m.code = c.matter_code LEFT JOIN teams tm ON tm.id = c.team_id LEFT JOIN teams st ON st.id = c.support_team_id`;
