import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MODELS_DIR } from '../../inference/train/dataset-io.js';
import { InferenceRepository } from '../../inference/repository.js';
import { listModels } from '../../inference/model-store.js';
import { api, login, startTestPlatform, TEST_PASSWORD, type TestPlatform } from '../support/platform.js';
import { evidenceMeta, jpeg, measurementCsv, noiseProposal, openCase, PARTY_ID, partyIdOf } from '../support/cases.js';
import { newWebhookSecret, signedHeaders } from '../../enforcement-api/webhooks/signature.js';

/**
 * The authorization matrix (issue 5): every route of the running app × every kind of caller, through
 * the real HTTP API. The route set is read from the app itself (Fastify's route table and the OpenAPI
 * document), so a route added without a row here fails the first test.
 *
 * Callers (columns): nobody signed in, and one user of each role and jurisdiction of the seed:
 *   anon   no token                       e.li    east.li     officer, t-east
 *   admin  admin                          e.lead  east.lead   team lead, t-east
 *   ops    ops          operator          r.zhao  river.zhao  officer, t-river
 *   review review       reviewer, district centre (rp-centre)
 *   e.rev  east.review  reviewer, East Lake Street post (rp-east)
 *   r.rev  river.review reviewer, Riverbank Street post (rp-river)
 *   fish   fish.liu     officer, t-fisheries (a district team)
 *   head   head         agency head (approves deadline extensions; sees what the operations centre sees)
 *
 * Cells: ok = 2xx (really allowed: a mutating call must have written), 401 = UNAUTHORIZED, 403 =
 * FORBIDDEN (the role may never do this), 404 = *_NOT_FOUND (exists, but not visible to the caller:
 * another team's case, a case not at the reviewer's post — indistinguishable from a missing one),
 * 422 = visible, but this person may not take this step (NOT_SECOND_OFFICER: only the officer named on
 * arrival confirms presence; SELF_REVIEW: the uploader does not review their own evidence; NOT_ASSIGNED:
 * a team lead sees the team's drawn inspections but only the drawn inspectors open them).
 * The fishing-ban exchange (POST /api/v1/exchange/fishing-ban) is authenticated by a Standard Webhooks
 * signature, never by a user token: whoever calls it, `unsigned` is 400 WEBHOOK_HEADERS_MISSING, `forged`
 * (signed with a key that is not ours) 401 WEBHOOK_SIGNATURE_INVALID, and `signed` (our key) is taken.
 * A party lookup names its purpose: without a case an officer, team lead or reviewer is refused 400
 * PARTY_LOOKUP_CASE_REQUIRED; through a settled case (resolved on site, decided, closed) only the party it
 * names is looked up, another is 403 PARTY_NOT_OF_CASE.
 * A refused call must leave what it would have written unchanged (case state, event count, rows).
 *
 * Targets (second column) name the thing the call is aimed at:
 *   party@<case> a party looked up for that case (`its-party`: the party the case names); a bare party: for no case
 *   E:<state>  a noise case of t-east (East Lake Park) in that state; `arrived` = east.li arrived naming
 *              east.lead, who has not confirmed, and uploaded a photo nobody reviewed; `confirmed` = east.lead
 *              confirmed; `on_site` = also filed, the photo reviewed by east.wang; `under_review` = a
 *              routine proposal at the East Lake post rp-east; `approved` = approved, the party
 *              notified and its written waiver of statement and hearing recorded
 *   R:<state>  the same for t-river (Riverbank), on site with river.zhao + river.chen, review at rp-river
 *   C:<state>  a t-east case with a major proposal (hearing required) at the district centre rp-centre,
 *              with the opinions of centre.sun and centre.qian; `consulting` = the centre (centre.sun)
 *              awaits an opinion from `review`
 *   Q:<state>  a complaint of East Lake Park (no matter yet: classified by a transition)
 *   S:E:<state> an inspection (issue 17) of a vendor at East Lake Park, item INS-NOISE-BIZ: `planned` = drawn
 *              for east.wang and east.li; from `opened` on east.wang leads it, naming east.li as the second
 *              inspector; `in_progress` = east.li confirmed presence; `closed` = a result with violations
 *   S:R:<state> the same for a boat operator on the riverbank (INS-FISH-BOAT), river.chen leading, river.zhao
 *              second. Each inspection has a market entity of its own (no repeat-inspection refusal).
 *   W:subscriber a webhook subscriber the admin added through the API (one shared by the cells)
 *   W:dead     a dead-lettered delivery of that subscriber (one per cell, as the worker leaves it)
 * For transitions the target is `event@case`. Refusals use one shared case per target (checked
 * unchanged); every allowed transition cell gets a case of its own, built through the API.
 */
const MATRIX = `
route target                                                                                    anon admin ops review e.rev r.rev e.li e.lead r.zhao fish head
GET   /                                                  -                                      ok   ok    ok  ok     ok    ok    ok   ok     ok     ok   ok
GET   /*                                                 sw.js                                  ok   ok    ok  ok     ok    ok    ok   ok     ok     ok   ok
GET   /api/v1/client-config                              -                                      ok   ok    ok  ok     ok    ok    ok   ok     ok     ok   ok
GET   /api/v1/team/members                               -                                      401  403   403 403    403   403   ok   ok     ok     ok   403
GET   /api/v1/review-post/members                        -                                      401  403   403 ok     ok    ok    403  403    403    403   403
GET   /api/v1/parties/:id/cases                          its-party@E:under_review               401  403   403 404    ok    404   ok   ok     404    404  ok
GET   /api/v1/parties/:id/cases                          ID-AUTHZ-1                             401  403   403 400    400   400   400  400    400    400  ok
GET   /api/v1/ops/overview                               -                                      401  ok    ok  403    403   403   403  403    403    403   403
PATCH /api/v1/devices/:id                                slm-river-1                            401  ok    ok  403    403   403   403  403    403    403   403
GET   /healthz                                           -                                      ok   ok    ok  ok     ok    ok    ok   ok     ok     ok   ok
GET   /readyz                                            -                                      ok   ok    ok  ok     ok    ok    ok   ok     ok     ok   ok
GET   /metrics                                           -                                      401  ok    ok  403    403   403   403  403    403    403   403
POST  /api/v1/auth/login                                 -                                      ok   ok    ok  ok     ok    ok    ok   ok     ok     ok   ok
POST  /api/v1/auth/refresh                               -                                      ok   ok    ok  ok     ok    ok    ok   ok     ok     ok   ok
POST  /api/v1/auth/logout                                -                                      ok   ok    ok  ok     ok    ok    ok   ok     ok     ok   ok
GET   /api/v1/me                                         -                                      401  ok    ok  ok     ok    ok    ok   ok     ok     ok   ok
GET   /api/v1/zones                                      -                                      401  ok    ok  ok     ok    ok    ok   ok     ok     ok   ok
GET   /api/v1/zones/:id/rules                            z-park-square                          401  ok    ok  ok     ok    ok    ok   ok     ok     ok   ok
PUT   /api/v1/zones/:id/rules                            z-riverbank                            401  ok    ok  403    403   403   403  403    403    403   403
GET   /api/v1/zones/:id/noise/hourly                     z-park-square                          401  ok    ok  ok     ok    ok    ok   ok     404    ok   ok
GET   /api/v1/zones/:id/noise/hourly                     z-riverbank                            401  ok    ok  ok     ok    ok    404  404    ok     ok   ok
GET   /api/v1/district/rules                             -                                      401  ok    ok  ok     ok    ok    ok   ok     ok     ok   ok
PUT   /api/v1/district/rules                             -                                      401  ok    ok  403    403   403   403  403    403    403   403
GET   /api/v1/holidays/:calendar                         CN                                     401  ok    ok  ok     ok    ok    ok   ok     ok     ok   ok
PUT   /api/v1/holidays/:calendar                         AUTHZ                                  401  ok    403 403    403   403   403  403    403    403   403
GET   /api/v1/devices                                    -                                      401  ok    ok  403    403   403   403  403    403    403   403
POST  /api/v1/devices                                    -                                      401  ok    403 403    403   403   403  403    403    403   403
POST  /api/v1/devices/:id/secret                         slm-park-1                             401  ok    ok  403    403   403   403  403    403    403   403
GET   /api/v1/devices/:id/readings                       slm-park-1                             401  ok    ok  ok     ok    ok    ok   ok     404    ok   ok
GET   /api/v1/devices/:id/readings                       slm-river-1                            401  ok    ok  ok     ok    ok    404  404    ok     ok   ok
GET   /api/v1/models                                     -                                      401  ok    ok  ok     ok    ok    ok   ok     ok     ok   ok
PUT   /api/v1/models/:name/rollout                       noise-window                           401  ok    403 403    403   403   403  403    403    403   403
GET   /api/v1/models/:name/shadow                        fishing                                401  ok    ok  ok     ok    ok    ok   ok     ok     ok   ok
GET   /api/v1/benchmarks                                 -                                      401  ok    ok  ok     ok    ok    ok   ok     ok     ok   ok
GET   /api/v1/figures                                    -                                      401  ok    ok  403    403   403   403  ok     403    403   403
GET   /api/v1/figures                                    teamId=t-river                         401  ok    ok  403    403   403   403  403    403    403   403
GET   /api/v1/stream                                     -                                      401  ok    ok  ok     ok    ok    ok   ok     ok     ok   ok
GET   /api/v1/cases                                      (lists what GET …/:id shows)           401  ok    ok  ok     ok    ok    ok   ok     ok     ok   ok
GET   /api/v1/cases/:id                                  E:dispatched                           401  ok    ok  404    404   404   ok   ok     404    404   ok
GET   /api/v1/cases/:id                                  E:under_review                         401  ok    ok  404    ok    404   ok   ok     404    404   ok
GET   /api/v1/cases/:id                                  R:under_review                         401  ok    ok  404    404   ok    404  404    ok     404   ok
GET   /api/v1/cases/:id                                  C:under_review                         401  ok    ok  ok     404   404   ok   ok     404    404   ok
GET   /api/v1/cases/:id/audit                            E:dispatched                           401  ok    ok  404    404   404   ok   ok     404    404   ok
GET   /api/v1/cases/:id/audit                            E:under_review                         401  ok    ok  404    ok    404   ok   ok     404    404   ok
GET   /api/v1/cases/:id/audit                            R:under_review                         401  ok    ok  404    404   ok    404  404    ok     404   ok
GET   /api/v1/cases/:id/evidence                         E:under_review                         401  ok    ok  404    ok    404   ok   ok     404    404   ok
GET   /api/v1/cases/:id/evidence                         R:under_review                         401  ok    ok  404    404   ok    404  404    ok     404   ok
GET   /api/v1/cases/:id/evidence/:evidenceId             E:under_review                         401  ok    ok  404    ok    404   ok   ok     404    404   ok
GET   /api/v1/cases/:id/evidence/:evidenceId             R:under_review                         401  ok    ok  404    404   ok    404  404    ok     404   ok
POST  /api/v1/cases/:id/evidence                         E:dispatched                           401  403   403 403    403   403   ok   ok     404    404   403
POST  /api/v1/cases/:id/evidence                         R:dispatched                           401  403   403 403    403   403   404  404    ok     404   403
POST  /api/v1/cases/:id/evidence/sensor/:alertId/review  E:dispatched                           401  403   403 404    404   404   ok   ok     404    404   403
POST  /api/v1/cases/:id/evidence/sensor/:alertId/review  E:under_review                         401  403   403 404    ok    404   ok   ok     404    404   403
POST  /api/v1/cases/:id/evidence/sensor/:alertId/review  R:under_review                         401  403   403 404    404   ok    404  404    ok     404   403
GET   /api/v1/alerts                                     (lists what GET …/:id shows)           401  ok    ok  ok     ok    ok    ok   ok     ok     ok   ok
GET   /api/v1/alerts/:id                                 E:dispatched                           401  ok    ok  404    404   404   ok   ok     404    404   ok
GET   /api/v1/alerts/:id                                 E:under_review                         401  ok    ok  404    ok    404   ok   ok     404    404   ok
GET   /api/v1/alerts/:id                                 R:under_review                         401  ok    ok  404    404   ok    404  404    ok     404   ok
POST  /api/v1/alerts/:id/verdict                         E:under_review                         401  ok    403 404    ok    404   ok   ok     404    404   403
POST  /api/v1/alerts/:id/verdict                         R:under_review                         401  ok    403 404    404   ok    404  404    ok     404   403
POST  /api/v1/cases/:id/transitions                      dispatch@E:dispatched                  401  ok    ok  403    403   403   403  ok     403    403   403
POST  /api/v1/cases/:id/transitions                      dispatch@R:dispatched                  401  ok    ok  403    403   403   403  404    403    403   403
POST  /api/v1/cases/:id/transitions                      accept@E:dispatched                    401  403   403 403    403   403   ok   ok     404    404   403
POST  /api/v1/cases/:id/transitions                      accept@R:dispatched                    401  403   403 403    403   403   404  404    ok     404   403
POST  /api/v1/cases/:id/transitions                      arrive@E:accepted                      401  403   403 403    403   403   ok   ok     404    404   403
POST  /api/v1/cases/:id/transitions                      arrive@R:accepted                      401  403   403 403    403   403   404  404    ok     404   403
POST  /api/v1/cases/:id/transitions                      resolve_on_site@E:on_site              401  403   403 403    403   403   ok   ok     404    404   403
POST  /api/v1/cases/:id/transitions                      resolve_on_site@R:on_site              401  403   403 403    403   403   404  404    ok     404   403
POST  /api/v1/cases/:id/transitions                      propose_decision@E:filed               401  403   403 403    403   403   ok   ok     404    404   403
POST  /api/v1/cases/:id/transitions                      propose_decision@R:filed               401  403   403 403    403   403   404  404    ok     404   403
POST  /api/v1/cases/:id/transitions                      submit_for_review@E:decision_proposed  401  403   403 403    403   403   ok   ok     404    404   403
POST  /api/v1/cases/:id/transitions                      submit_for_review@R:decision_proposed  401  403   403 403    403   403   404  404    ok     404   403
POST  /api/v1/cases/:id/transitions                      approve@E:under_review                 401  403   403 404    ok    404   403  403    403    403   403
POST  /api/v1/cases/:id/transitions                      approve@R:under_review                 401  403   403 404    404   ok    403  403    403    403   403
POST  /api/v1/cases/:id/transitions                      approve@C:under_review                 401  403   403 ok     404   404   403  403    403    403   403
POST  /api/v1/cases/:id/transitions                      return@E:under_review                  401  403   403 404    ok    404   403  403    403    403   403
POST  /api/v1/cases/:id/transitions                      return@R:under_review                  401  403   403 404    404   ok    403  403    403    403   403
POST  /api/v1/cases/:id/transitions                      return@C:under_review                  401  403   403 ok     404   404   403  403    403    403   403
POST  /api/v1/cases/:id/transitions                      request_opinions@C:under_review        401  403   403 ok     404   404   403  403    403    403   403
POST  /api/v1/cases/:id/transitions                      give_opinion@C:consulting              401  403   403 ok     404   404   403  403    403    403   403
POST  /api/v1/cases/:id/transitions                      decide@E:approved                      401  403   403 403    403   403   ok   ok     404    404   403
POST  /api/v1/cases/:id/transitions                      decide@R:approved                      401  403   403 403    403   403   404  404    ok     404   403
POST  /api/v1/cases/:id/transitions                      close@E:resolved_on_site               401  403   403 403    403   403   ok   ok     404    404   403
POST  /api/v1/cases/:id/transitions                      close@R:resolved_on_site               401  403   403 403    403   403   404  404    ok     404   403
POST  /api/v1/cases/:id/transitions                      dismiss@E:dispatched                   401  ok    ok  403    403   403   ok   ok     404    404   403
POST  /api/v1/cases/:id/transitions                      dismiss@R:dispatched                   401  ok    ok  403    403   403   404  404    ok     404   403
GET   /api/v1/catalogue/matters                          -                                      401  ok    ok  ok     ok    ok    ok   ok     ok     ok     ok
GET   /api/v1/catalogue/matters/:code                    NOISE-AMPLIFIED                        401  ok    ok  ok     ok    ok    ok   ok     ok     ok     ok
PUT   /api/v1/catalogue/matters/:code                    AUTHZ                                  401  ok    403 403    403   403   403  403    403    403    403
PUT   /api/v1/catalogue/matters/:code/bounds             NOISE-AMPLIFIED                        401  ok    403 403    403   403   403  403    403    403    403
PUT   /api/v1/catalogue/matters/:code/benchmark          NOISE-AMPLIFIED                        401  ok    403 403    403   403   403  403    403    403    403
PUT   /api/v1/catalogue/officers/:userId/certificate     u-east-wang                            401  ok    403 403    403   403   403  403    403    403    403
GET   /api/v1/catalogue/officers/:userId/certificates    u-east-wang                            401  ok    ok  ok     ok    ok    ok   ok     ok     ok     ok
PUT   /api/v1/catalogue/review-posts/:id                 rp-authz                               401  ok    403 403    403   403   403  403    403    403    403
PUT   /api/v1/catalogue/review-posts/:id/reviewers       rp-centre                              401  ok    403 403    403   403   403  403    403    403    403
GET   /api/v1/catalogue/changes                          -                                      401  ok    ok  ok     ok    ok    403  403    403    403    ok
GET   /api/v1/parties/:id                                320102198805050013                     401  403   403 400    400   400   400  400    400    400    ok
GET   /api/v1/parties/:id                                320102198805050013@E:resolved_on_site  401  403   403 404    404   404   ok   ok     404    404    ok
GET   /api/v1/parties/:id                                11010519491231002X@E:resolved_on_site  401  403   403 404    404   404   403  403    404    404    404
GET   /api/v1/party-lookups                              -                                      401  ok    403 403    403   403   403  403    403    403    403
GET   /api/v1/presence-requests                          -                                      401  403   403 403    403   403   ok   ok     ok     ok     403
POST  /api/v1/cases/:id/presence                         E:arrived                              401  403   403 403    403   403   422  ok     404    404    403
POST  /api/v1/cases/:id/presence                         R:arrived                              401  403   403 403    403   403   404  404    422    404    403
POST  /api/v1/cases/:id/evidence/:evidenceId/review      E:arrived                              401  403   403 404    404   404   422  ok     404    404    403
POST  /api/v1/cases/:id/evidence/:evidenceId/review      E:under_review                         401  403   403 404    ok    404   422  ok     404    404    403
POST  /api/v1/cases/:id/transitions                      classify@Q:dispatched                  401  ok    ok  403    403   403   ok   ok     404    404    403
POST  /api/v1/cases/:id/transitions                      file@E:confirmed                       401  403   403 403    403   403   ok   ok     404    404    403
POST  /api/v1/cases/:id/transitions                      file@R:confirmed                       401  403   403 403    403   403   404  404    ok     404    403
POST  /api/v1/cases/:id/transitions                      extend_deadline@E:filed                401  403   403 403    403   403   403  403    403    403    ok
GET   /api/v1/public/inspection-items                  -                                      ok   ok    ok  ok     ok    ok    ok   ok     ok     ok     ok
GET   /api/v1/public/inspection-items/:code/history    INS-NOISE-BIZ                          ok   ok    ok  ok     ok    ok    ok   ok     ok     ok     ok
GET   /api/v1/public/inspection-plans                  -                                      ok   ok    ok  ok     ok    ok    ok   ok     ok     ok     ok
GET   /api/v1/public/inspection-plans/:id              plan                                   ok   ok    ok  ok     ok    ok    ok   ok     ok     ok     ok
GET   /api/v1/public/inspection-results                -                                      ok   ok    ok  ok     ok    ok    ok   ok     ok     ok     ok
PUT   /api/v1/inspection-items/:code                   INS-AUTHZ                              401  ok    403 403    403   403   403  403    403    403    403
GET   /api/v1/inspectors                               -                                      401  ok    ok  ok     ok    ok    ok   ok     ok     ok     ok
PUT   /api/v1/inspectors/:userId                       u-east-wang                            401  ok    403 403    403   403   403  403    403    403    403
GET   /api/v1/market-entities                          -                                      401  ok    ok  403    403   403   ok   ok     ok     ok     ok
POST  /api/v1/market-entities                          -                                      401  ok    ok  403    403   403   403  403    403    403    403
PUT   /api/v1/market-entities/:id                      me-river-kiosk                         401  ok    ok  403    403   403   403  403    403    403    403
GET   /api/v1/market-entities/:id/credit               me-park-tea                            401  ok    ok  403    403   403   ok   ok     ok     ok     ok
POST  /api/v1/market-entities/:id/credit               me-park-tea                            401  ok    ok  403    403   403   403  403    403    403    403
POST  /api/v1/market-entities/credit                   -                                      401  ok    ok  403    403   403   403  403    403    403    403
POST  /api/v1/inspection-plans                         red                                    401  ok    ok  403    403   403   403  403    403    403    403
POST  /api/v1/inspection-plans/:id/draw                red                                    401  ok    ok  403    403   403   403  403    403    403    403
GET   /api/v1/inspections                              (lists what GET …/:id shows)           401  ok    ok  403    403   403   ok   ok     ok     ok     403
GET   /api/v1/inspections/:id                          S:E:planned                            401  ok    ok  403    403   403   ok   ok     404    404    403
GET   /api/v1/inspections/:id                          S:R:planned                            401  ok    ok  403    403   403   404  404    ok     404    403
GET   /api/v1/inspections/:id                          S:E:opened                             401  ok    ok  403    403   403   ok   ok     404    404    403
GET   /api/v1/inspections/:id                          S:R:opened                             401  ok    ok  403    403   403   404  404    ok     404    403
POST  /api/v1/inspections                              -                                      401  403   403 403    403   403   ok   ok     ok     ok     403
POST  /api/v1/inspections/:id/open                     S:E:planned                            401  403   403 403    403   403   ok   422    404    404    403
POST  /api/v1/inspections/:id/open                     S:R:planned                            401  403   403 403    403   403   404  404    ok     404    403
POST  /api/v1/inspections/:id/presence                 S:E:opened                             401  403   403 403    403   403   ok   404    404    404    403
POST  /api/v1/inspections/:id/presence                 S:R:opened                             401  403   403 403    403   403   404  404    ok     404    403
POST  /api/v1/inspections/:id/result                   S:E:in_progress                        401  403   403 403    403   403   ok   404    404    404    403
POST  /api/v1/inspections/:id/result                   S:R:in_progress                        401  403   403 403    403   403   404  404    ok     404    403
POST  /api/v1/inspections/:id/case                     S:E:closed                             401  403   403 403    403   403   ok   404    404    404    403
POST  /api/v1/inspections/:id/case                     S:R:closed                             401  403   403 403    403   403   404  404    ok     404    403
GET   /api/v1/inspection-refusals                      -                                      401  ok    ok  403    403   403   403  403    403    403    403
GET   /api/v1/complaints                                 -                                      401  ok    ok  403    403   403   ok   ok     ok     ok     ok
POST  /api/v1/complaints                                 -                                      401  ok    ok  403    403   403   403  403    403    403    403
GET   /api/v1/complaints/:id                             K:east                                 401  ok    ok  403    403   403   ok   ok     404    404    404
GET   /api/v1/complaints/:id/contact                     K:east                                 401  ok    ok  403    403   403   ok   ok     404    404    403
GET   /api/v1/complaints/:id/photos/:n                   K:east                                 401  ok    ok  403    403   403   ok   ok     404    404    404
POST  /api/v1/complaints/:id/reply                       K:east                                 401  ok    ok  403    403   403   ok   ok     404    404    403
POST  /api/v1/complaints/:id/decline                     K:east                                 401  403   403 403    403   403   ok   ok     404    404    403
POST  /api/v1/complaints/:id/assign                      K:queue                                401  ok    ok  403    403   403   403  403    403    403    403
GET   /api/v1/cases/:id/complaints                       E:dispatched                           401  ok    ok  404    404   404   ok   ok     404    404    ok
POST  /api/v1/public/complaints                          -                                      ok   ok    ok  ok     ok    ok    ok   ok     ok     ok     ok
POST  /api/v1/public/complaints/status                   K:east                                 ok   ok    ok  ok     ok    ok    ok   ok     ok     ok     ok
GET   /open311/v2/services.json                          -                                      ok   ok    ok  ok     ok    ok    ok   ok     ok     ok     ok
GET   /open311/v2/services/:code                         noise.json                             ok   ok    ok  ok     ok    ok    ok   ok     ok     ok     ok
POST  /open311/v2/requests.json                          -                                      ok   ok    ok  ok     ok    ok    ok   ok     ok     ok     ok
GET   /open311/v2/requests/:id                           K:east                                 ok   ok    ok  ok     ok    ok    ok   ok     ok     ok     ok
GET   /open311/v2/requests.json                          K:east                                 ok   ok    ok  ok     ok    ok    ok   ok     ok     ok     ok
GET   /api/v1/zones/:id/rules/history                    z-riverbank                            401  ok    ok  ok     ok    ok    ok   ok     ok     ok     ok
GET   /api/v1/district/rules/history                     -                                      401  ok    ok  ok     ok    ok    ok   ok     ok     ok     ok
GET   /api/v1/webhooks/subscribers                       -                                      401  ok    ok  403    403   403   403  403    403    403    403
POST  /api/v1/webhooks/subscribers                       -                                      401  ok    403 403    403   403   403  403    403    403    403
PATCH /api/v1/webhooks/subscribers/:id                   W:subscriber                           401  ok    403 403    403   403   403  403    403    403    403
POST  /api/v1/webhooks/subscribers/:id/rotate            W:subscriber                           401  ok    403 403    403   403   403  403    403    403    403
GET   /api/v1/webhooks/deliveries                        -                                      401  ok    ok  403    403   403   403  403    403    403    403
POST  /api/v1/webhooks/deliveries/:id/retry              W:dead                                 401  ok    ok  403    403   403   403  403    403    403    403
POST  /api/v1/exchange/fishing-ban                       unsigned                               400  400   400 400    400   400   400  400    400    400    400
POST  /api/v1/exchange/fishing-ban                       forged                                 401  401   401 401    401   401   401  401    401    401    401
POST  /api/v1/exchange/fishing-ban                       signed                                 ok   ok    ok  ok     ok    ok    ok   ok     ok     ok     ok
`;

/** The committed version of a model (its card), which an admin may always roll out. */
const committedVersion = (model: string): string =>
  (JSON.parse(readFileSync(path.join(MODELS_DIR, `${model}.card.json`), 'utf8')) as { version: string }).version;

const CALLERS = ['anon', 'admin', 'ops', 'review', 'e.rev', 'r.rev', 'e.li', 'e.lead', 'r.zhao', 'fish', 'head'] as const;
type Caller = (typeof CALLERS)[number];
const USERNAME: Record<Caller, string | null> = {
  anon: null, admin: 'admin', ops: 'ops', review: 'review', 'e.rev': 'east.review', 'r.rev': 'river.review',
  'e.li': 'east.li', 'e.lead': 'east.lead', 'r.zhao': 'river.zhao', fish: 'fish.liu', head: 'head',
};
type Outcome = 'ok' | '400' | '401' | '403' | '404' | '422';

interface Row {
  route: string;
  target: string;
  expect: Record<Caller, Outcome>;
}

function parseMatrix(text: string): Row[] {
  const lines = text.trim().split('\n');
  const header = lines[0]!.split(/\s+/).slice(2);
  if (header.join(' ') !== CALLERS.join(' ')) throw new Error(`matrix header ${header.join(' ')}`);
  return lines.slice(1).map((line) => {
    const cells = line.trim().split(/\s+/);
    const outcomes = cells.slice(-CALLERS.length);
    const target = cells.slice(2, -CALLERS.length).join(' ');
    for (const o of outcomes) if (!['ok', '400', '401', '403', '404', '422'].includes(o)) throw new Error(`bad cell ${o} in: ${line}`);
    if (cells.length < 3 + CALLERS.length) throw new Error(`short row: ${line}`);
    return { route: `${cells[0]} ${cells[1]}`, target, expect: Object.fromEntries(CALLERS.map((c, i) => [c, outcomes[i] as Outcome])) as Record<Caller, Outcome> };
  });
}
const ROWS = parseMatrix(MATRIX);

let t: TestPlatform;
const tokens = new Map<string, string>();
const tokenOf = (c: Caller) => {
  const user = USERNAME[c];
  return user === null ? null : tokens.get(user)!;
};
let cellNo = 0;

// ---------------------------------------------------------------------------------------------------
// Fixtures: cases built through the HTTP API (intake through the platform's own alert intake).

interface Fixture {
  key: string;
  id: string;
  team: 't-east' | 't-river';
  alertId: string;
  evidenceId: string | null;
}

const LOCATION = { E: { lat: 32.0405, lon: 118.7805 }, R: { lat: 32.061, lon: 118.753 } };
const routineProposal = noiseProposal();
let fixtureParties = 0;

async function step(user: string, caseId: string, body: Record<string, unknown>): Promise<void> {
  const r = await api(t, tokens.get(user)!, 'POST', `/api/v1/cases/${caseId}/transitions`, body);
  if (r.status !== 200) throw new Error(`fixture: ${user} ${String(body.event)}: ${r.status} ${JSON.stringify(r.body)}`);
}

async function upload(user: string, caseId: string): Promise<{ status: number; body: { id?: string; code?: string } }> {
  const token = tokens.get(user);
  // A sound-level measurement (a noise penalty rests on one), collected by the officer where the case is.
  const east = user === 'east.li';
  const res = await fetch(`${t.http}/api/v1/cases/${caseId}/evidence?${evidenceMeta('text/csv', east ? 'u-east-li' : 'u-river-zhao', LOCATION[east ? 'E' : 'R'])}`, {
    method: 'POST',
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'text/csv' },
    body: measurementCsv(),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as { id?: string; code?: string }) : {} };
}

const STATES = ['dispatched', 'accepted', 'arrived', 'confirmed', 'on_site', 'resolved_on_site', 'filed', 'decision_proposed', 'under_review', 'consulting', 'approved'] as const;

/** A market entity of its own (registered by the admin), so that no inspection repeats another's. */
async function newEntity(kind: 'vendor' | 'boat_operator', zoneId: string): Promise<string> {
  const r = await api<{ id: string }>(t, tokens.get('admin')!, 'POST', '/api/v1/market-entities', { name: `authz entity ${++cellNo}`, kind, zoneId });
  if (r.status !== 201) throw new Error(`fixture entity: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id;
}
const INSPECTION_STATES = ['planned', 'opened', 'in_progress', 'closed'] as const;

/** An inspection `S:E:<state>` or `S:R:<state>` (see the top comment); its id in `id`. */
async function buildInspection(key: string): Promise<Fixture> {
  const [, side, state] = key.split(':') as [string, 'E' | 'R', (typeof INSPECTION_STATES)[number]];
  if (!INSPECTION_STATES.includes(state) || !['E', 'R'].includes(side)) throw new Error(`unknown fixture ${key}`);
  const east = side === 'E';
  const entityId = await newEntity(east ? 'vendor' : 'boat_operator', east ? 'z-park-square' : 'z-riverbank');
  const itemCode = east ? 'INS-NOISE-BIZ' : 'INS-FISH-BOAT';
  const [lead, second] = east ? ['east.wang', 'east.li'] : ['river.chen', 'river.zhao'];
  const [leadId, secondId] = east ? ['u-east-wang', 'u-east-li'] : ['u-river-chen', 'u-river-zhao'];
  const fx: Fixture = { key, id: '', team: east ? 't-east' : 't-river', alertId: '', evidenceId: null };
  const location = LOCATION[side];
  const expect2xx = (what: string, r: { status: number; body: unknown }) => {
    if (r.status < 200 || r.status > 299) throw new Error(`fixture ${what}: ${r.status} ${JSON.stringify(r.body)}`);
  };
  if (state === 'planned') {
    // As a draw leaves it (which entities a draw selects is up to its seed): planned for two inspectors.
    fx.id = randomUUID();
    await t.platform.db.pool.query(
      `INSERT INTO inspections (id, entity_id, item_code, reason, assigned, state, created_by, created_at) VALUES ($1, $2, $3, 'random', $4, 'planned', 'u-admin', now())`,
      [fx.id, entityId, itemCode, [leadId, secondId]],
    );
    return fx;
  }
  const opened = await api<{ id: string }>(t, tokens.get(lead)!, 'POST', '/api/v1/inspections', {
    entityId, itemCode, reason: 'complaint', complaintRef: `AUTHZ-${cellNo}`, secondInspectorId: secondId, location,
  });
  expect2xx('open', opened);
  fx.id = opened.body.id;
  if (state === 'opened') return fx;
  expect2xx('presence', await api(t, tokens.get(second)!, 'POST', `/api/v1/inspections/${fx.id}/presence`, { location }));
  if (state === 'in_progress') return fx;
  expect2xx('result', await api(t, tokens.get(lead)!, 'POST', `/api/v1/inspections/${fx.id}/result`, inspectionResult(itemCode)));
  return fx;
}

/** A result with one violation found, for the item's first check. */
const inspectionResult = (itemCode: string) => ({
  outcome: 'violations',
  findings: [{ check: itemCode === 'INS-FISH-BOAT' ? 'No fishing gear on board or offered for hire' : 'No loudspeaker or amplifier used to attract customers', compliant: false, note: 'found at the visit' }],
});

/** A case of the kind `E:<state>`, `R:<state>` or `C:<state>` (see the top comment), or an inspection `S:…`. */
async function build(key: string): Promise<Fixture> {
  if (key.startsWith('S:')) return buildInspection(key);
  const [kind, state] = key.split(':') as ['E' | 'R' | 'C' | 'Q', (typeof STATES)[number]];
  if (!STATES.includes(state) || !['E', 'R', 'C', 'Q'].includes(kind)) throw new Error(`unknown fixture ${key}`);
  const east = kind !== 'R';
  const id = await openCase(t, kind === 'Q' ? 'complaint' : 'noise', east ? 'z-park-square' : 'z-riverbank');
  const detail = await api<{ alerts: { id: string }[] }>(t, tokens.get('admin')!, 'GET', `/api/v1/cases/${id}`);
  const fx: Fixture = { key, id, team: east ? 't-east' : 't-river', alertId: detail.body.alerts[0]!.id, evidenceId: null };
  const officer = east ? 'east.li' : 'river.zhao';
  const reached = (s: string) => state === s;
  if (reached('dispatched')) return fx;
  await step(officer, id, { event: 'accept' });
  if (reached('accepted')) return fx;
  await step(officer, id, { event: 'arrive', location: LOCATION[east ? 'E' : 'R'], secondOfficerId: east ? 'u-east-lead' : 'u-river-chen' });
  const photo = await upload(officer, id);
  if (photo.status !== 201) throw new Error(`fixture upload: ${photo.status} ${JSON.stringify(photo.body)}`);
  fx.evidenceId = photo.body.id!;
  if (reached('arrived')) return fx;
  const second = east ? 'east.lead' : 'river.chen';
  const confirmed = await api(t, tokens.get(second)!, 'POST', `/api/v1/cases/${id}/presence`, { location: LOCATION[east ? 'E' : 'R'] });
  if (confirmed.status !== 201) throw new Error(`fixture presence: ${confirmed.status} ${JSON.stringify(confirmed.body)}`);
  if (reached('confirmed')) return fx;
  const reviewed = await api(t, tokens.get(east ? 'east.wang' : 'river.chen')!, 'POST', `/api/v1/cases/${id}/evidence/${fx.evidenceId}/review`, {});
  if (reviewed.status !== 201) throw new Error(`fixture review: ${reviewed.status} ${JSON.stringify(reviewed.body)}`);
  if (reached('on_site')) return fx;
  if (reached('resolved_on_site')) {
    await step(officer, id, { event: 'resolve_on_site', outcome: 'warning_issued', summary: 'music turned down after a warning', partyId: PARTY_ID });
    return fx;
  }
  // Filed (立案): on site, but the general procedure from here on.
  await step(officer, id, { event: 'file' });
  if (reached('filed')) return fx;
  // A person of their own per fixture: one party's fines on one day add up to a major decision.
  const proposal = { ...routineProposal, partyId: partyIdOf(++fixtureParties) };
  await step(officer, id, kind === 'C' ? { ...proposal, hearingRequired: true } : proposal);
  if (reached('decision_proposed')) return fx;
  await step(officer, id, { event: 'submit_for_review' });
  if (kind === 'C') {
    // A major decision: the centre's consultation of two reviewers (MAJOR_REVIEW_OPINIONS) before approval.
    await step('review', id, { event: 'request_opinions', reviewers: ['u-centre-sun', 'u-centre-qian'], question: 'is a hearing needed here?' });
    await step('centre.sun', id, { event: 'give_opinion', opinion: 'yes' });
    await step('centre.qian', id, { event: 'give_opinion', opinion: 'yes' });
  }
  if (reached('under_review')) return fx;
  if (reached('consulting')) {
    await step('centre.sun', id, { event: 'request_opinions', reviewers: ['u-review'], question: 'is a hearing needed here?' });
    return fx;
  }
  await step(kind === 'C' ? 'review' : east ? 'east.review' : 'river.review', id, { event: 'approve' });
  // The party notified of the intended fine, and its written waiver of statement and hearing: ready to decide.
  await step(officer, id, { event: 'notify_party', method: 'in_person' });
  await step(officer, id, { event: 'waive_statement', document: 'waiver signed on the notice' });
  return fx;
}

/** One shared case per target for the refused cells (and reads); rebuilt if a call changed it. */
const shared = new Map<string, Promise<Fixture>>();
const sharedFixture = (key: string) => {
  if (!shared.has(key)) shared.set(key, build(key));
  return shared.get(key)!;
};

// ---------------------------------------------------------------------------------------------------
// How each route is called for one cell, and what it would write.

interface Cell {
  caller: Caller;
  token: string | null;
  target: string;
  n: number;
  fx?: Fixture;
}
interface Answer {
  status: number;
  code?: string;
  message?: string;
  body?: unknown;
}
interface RouteSpec {
  /** The case the target names (`event@E:state` → `E:state`); undefined: the route (or this target) takes no case. */
  fixtureKey?: (target: string) => string | undefined;
  /** Allowed cells change the case irreversibly: each gets a fresh one. */
  freshWhenAllowed?: boolean;
  call(cell: Cell): Promise<Answer>;
  /** What a call would write, as a comparable string (refused: unchanged; allowed: changed). */
  written?(cell: Cell): Promise<string>;
  /** Runs before the call (lists: the fixtures they must show or hide exist). */
  prepare?(): Promise<unknown>;
  /** Extra check of an allowed answer (lists: exactly the visible fixtures). */
  check?(cell: Cell, answer: Answer): Promise<string | undefined>;
}

async function http(method: string, url: string, token: string | null, body?: unknown): Promise<Answer> {
  const res = await fetch(`${t.http}${url}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON (the page, metrics, a file)
  }
  const err = (parsed ?? {}) as { code?: unknown; message?: unknown };
  return { status: res.status, code: typeof err.code === 'string' ? err.code : undefined, message: typeof err.message === 'string' ? err.message : undefined, body: parsed };
}

const get = (url: string | ((c: Cell) => string | Promise<string>)) => async (c: Cell) => http('GET', typeof url === 'string' ? url : await url(c), c.token);
/** A party lookup's target: `party@case` looks the party up for that case (`its-party`: the one the case names), `party` for none (with a purpose). */
const partyCase = (target: string) => (target.includes('@') ? caseTarget(target) : undefined);
async function partyLookup(c: Cell, path = ''): Promise<string> {
  const named = c.target.split('@')[0]!;
  if (!c.fx) return `/api/v1/parties/${named}${path}?purpose=authorisation%20matrix`;
  const party = named === 'its-party' ? (await t.platform.db.pool.query<{ p: string }>('SELECT party_id AS p FROM cases WHERE id = $1', [c.fx.id])).rows[0]!.p : named;
  return `/api/v1/parties/${party}${path}?caseId=${c.fx.id}`;
}
const sqlText = async (text: string, params: unknown[]) => JSON.stringify((await t.platform.db.pool.query(text, params)).rows);
const caseWrites = (fx: Fixture) =>
  sqlText(`SELECT state, (SELECT count(*)::int FROM case_events e WHERE e.case_id = c.id) AS events,
    (SELECT count(*)::int FROM case_evidence v WHERE v.case_id = c.id) AS files,
    (SELECT count(*)::int FROM evidence_reviews r WHERE r.case_id = c.id) AS reviews FROM cases c WHERE c.id = $1`, [fx.id]);
const caseTarget = (target: string) => target.split('@').at(-1)!;
const login$ = (c: Cell) => ({ username: USERNAME[c.caller] ?? 'ops', password: TEST_PASSWORD });
const refreshToken = async (c: Cell) => (await api<{ refreshToken: string }>(t, null, 'POST', '/api/v1/auth/login', login$(c))).body.refreshToken;
const noiseRule = (n: number) => ({ rules: [{ id: `authz-rule-${n}`, kind: 'noise', name: `authz ${n}`, start: '22:00', end: '23:00', params: { laeq: 55 } }] });
const holiday = (n: number) => new Date(Date.UTC(2030, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);

/** A transition body for the event named in the target, fitting the caller (its on-site partner). */
function transitionBody(c: Cell): Record<string, unknown> {
  const event = c.target.split('@')[0]!;
  const east = c.fx!.team === 't-east';
  switch (event) {
    case 'dispatch': return { event, teamId: east ? 't-river' : 't-east' };
    case 'arrive': {
      const second = east ? (c.caller === 'e.li' ? 'u-east-lead' : 'u-east-li') : 'u-river-chen';
      return { event, location: LOCATION[east ? 'E' : 'R'], secondOfficerId: second };
    }
    case 'resolve_on_site': return { event, outcome: 'warning_issued', summary: 'music turned down after a warning', partyId: PARTY_ID };
    case 'classify': return { event, matterCode: 'NOISE-AMPLIFIED' };
    case 'extend_deadline': return { event, reason: 'expert noise report pending', newDueAt: new Date(Date.now() + 120 * 86_400_000).toISOString() };
    case 'propose_decision': return routineProposal;
    case 'return': return { event, opinion: 'the facts do not show the refusal to correct' };
    case 'decide': return { event, decisionNo: `AUTHZ-${c.n}` };
    case 'dismiss': return { event, reason: 'nobody there when the team arrived' };
    case 'request_opinions': return { event, reviewers: ['u-centre-sun'], question: 'is a hearing needed here?' };
    case 'give_opinion': return { event, opinion: 'a hearing is needed' };
    default: return { event };
  }
}

/** A red plan per month, from 2040 on: `n` months later for cell n. */
const planDay = (n: number) => new Date(Date.UTC(2040, n, 15)).toISOString().slice(0, 10);
const createPlan = async (n: number) => {
  const r = await api<{ id: string }>(t, tokens.get('admin')!, 'POST', '/api/v1/inspection-plans', { colour: 'red', on: planDay(n) });
  if (r.status !== 201) throw new Error(`fixture plan: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id;
};
/** One plan for the reads (created before the cells that number plans from 1); one undrawn plan per drawing cell. */
let publicPlan: Promise<string> | undefined;
const sharedPlan = () => (publicPlan ??= createPlan(0));
const perCell = <T>(make: (c: Cell) => Promise<T>) => {
  const made = new Map<number, Promise<T>>();
  return (c: Cell) => {
    if (!made.has(c.n)) made.set(c.n, make(c));
    return made.get(c.n)!;
  };
};
const cellPlan = perCell((c) => createPlan(c.n));
const cellEntity = perCell((c) => newEntity(c.caller === 'fish' ? 'boat_operator' : 'vendor', c.caller === 'e.li' || c.caller === 'e.lead' ? 'z-park-square' : 'z-riverbank'));
const inspectionWrites = (fx: Fixture) =>
  sqlText('SELECT state, lead_inspector, second_confirmed_at, outcome, follow_up_case_id FROM inspections WHERE id = $1', [fx.id]);

const fixturesOf = (byIdRoute: string) => () => Promise.all(ROWS.filter((r) => r.route === byIdRoute).map((r) => sharedFixture(r.target)));

/** The ids of the fixtures a list must show: exactly those whose GET-by-id row says ok for the caller. */
async function listCheck(byIdRoute: string, idOf: (fx: Fixture) => string, c: Cell, a: Answer): Promise<string | undefined> {
  const listed = new Set((a.body as { id: string }[]).map((x) => x.id));
  const wrong: string[] = [];
  for (const row of ROWS.filter((r) => r.route === byIdRoute)) {
    const id = idOf(await sharedFixture(row.target));
    const shouldSee = row.expect[c.caller] === 'ok';
    if (listed.has(id) !== shouldSee) wrong.push(`${shouldSee ? 'misses' : 'shows'} ${row.target}`);
  }
  return wrong.length ? wrong.join(', ') : undefined;
}

/** A list: exactly the fixtures of the GET-by-id rows the caller sees there. */
const listOf = (byIdRoute: string, url: string, idOf: (fx: Fixture) => string): RouteSpec => ({
  prepare: fixturesOf(byIdRoute),
  call: get(url),
  check: (c, a) => listCheck(byIdRoute, idOf, c, a),
});

const SPECS: Record<string, RouteSpec> = {
  'GET /': { call: get('/') },
  'GET /*': { call: get((c) => `/${c.target}`) },
  'GET /api/v1/client-config': { call: get('/api/v1/client-config') },
  'GET /api/v1/team/members': { call: get('/api/v1/team/members') },
  'GET /api/v1/review-post/members': { call: get('/api/v1/review-post/members') },
  'GET /api/v1/parties/:id/cases': { fixtureKey: partyCase, call: get((c) => partyLookup(c, '/cases')) },
  'GET /api/v1/party-lookups': { call: get('/api/v1/party-lookups') },
  'GET /api/v1/ops/overview': { call: get('/api/v1/ops/overview') },
  'PATCH /api/v1/devices/:id': {
    call: (c) => http('PATCH', `/api/v1/devices/${c.target}`, c.token, { calibrationCert: `AUTHZ-${c.n}` }),
    written: (c) => sqlText('SELECT id FROM devices WHERE id = $1 AND calibration_cert = $2', [c.target, `AUTHZ-${c.n}`]),
  },
  'GET /healthz': { call: get('/healthz') },
  'GET /readyz': { call: get('/readyz') },
  'GET /metrics': { call: get('/metrics') },
  'POST /api/v1/auth/login': { call: (c) => http('POST', '/api/v1/auth/login', c.token, login$(c)) },
  'POST /api/v1/auth/refresh': { call: async (c) => http('POST', '/api/v1/auth/refresh', c.token, { refreshToken: await refreshToken(c) }) },
  'POST /api/v1/auth/logout': { call: async (c) => http('POST', '/api/v1/auth/logout', c.token, { refreshToken: await refreshToken(c) }) },
  'GET /api/v1/me': { call: get('/api/v1/me') },
  'GET /api/v1/zones': { call: get('/api/v1/zones') },
  'GET /api/v1/zones/:id/rules': { call: get((c) => `/api/v1/zones/${c.target}/rules`) },
  'PUT /api/v1/zones/:id/rules': {
    call: (c) => http('PUT', `/api/v1/zones/${c.target}/rules`, c.token, noiseRule(c.n)),
    written: (c) => sqlText('SELECT id FROM zone_rules WHERE id = $1', [`authz-rule-${c.n}`]),
  },
  'GET /api/v1/zones/:id/noise/hourly': { call: get((c) => `/api/v1/zones/${c.target}/noise/hourly`) },
  'GET /api/v1/district/rules': { call: get('/api/v1/district/rules') },
  'PUT /api/v1/district/rules': {
    call: (c) => http('PUT', '/api/v1/district/rules', c.token, noiseRule(c.n)),
    written: (c) => sqlText('SELECT id FROM zone_rules WHERE id = $1', [`authz-rule-${c.n}`]),
  },
  'GET /api/v1/holidays/:calendar': { call: get((c) => `/api/v1/holidays/${c.target}`) },
  'PUT /api/v1/holidays/:calendar': {
    call: (c) => http('PUT', `/api/v1/holidays/${c.target}`, c.token, { days: [{ date: holiday(c.n), name: 'authz day' }] }),
    written: (c) => sqlText('SELECT name FROM holidays WHERE calendar = $1 AND day = $2::date', [c.target, holiday(c.n)]),
  },
  'GET /api/v1/devices': { call: get('/api/v1/devices') },
  'POST /api/v1/devices/:id/secret': {
    call: (c) => http('POST', `/api/v1/devices/${c.target}/secret`, c.token, { graceS: 0 }),
    written: (c) => sqlText('SELECT secret_hash FROM devices WHERE id = $1', [c.target]),
  },
  'POST /api/v1/devices': {
    call: (c) => http('POST', '/api/v1/devices', c.token, { id: `authz-dev-${c.n}`, zoneId: 'z-park-square', kind: 'sound_level_meter' }),
    written: (c) => sqlText('SELECT id FROM devices WHERE id = $1', [`authz-dev-${c.n}`]),
  },
  'GET /api/v1/devices/:id/readings': { call: get((c) => `/api/v1/devices/${c.target}/readings?stream=noise`) },
  'GET /api/v1/models': { call: get('/api/v1/models') },
  'GET /api/v1/models/:name/shadow': { call: get((c) => `/api/v1/models/${c.target}/shadow`) },
  'PUT /api/v1/models/:name/rollout': {
    // Publishes a retained MQTT message (no database row): the refusal happens before the handler.
    call: (c) => http('PUT', `/api/v1/models/${c.target}/rollout`, c.token, { active: committedVersion(c.target), shadow: null }),
  },
  'GET /api/v1/benchmarks': { call: get('/api/v1/benchmarks') },
  'GET /api/v1/figures': { call: get((c) => `/api/v1/figures${c.target === '-' ? '' : `?${c.target}`}`) },
  'GET /api/v1/stream': {
    async call(c) {
      const abort = new AbortController();
      const res = await fetch(`${t.http}/api/v1/stream`, { headers: c.token ? { authorization: `Bearer ${c.token}` } : {}, signal: abort.signal });
      if (res.status === 200) {
        abort.abort();
        return { status: 200 };
      }
      const body = (await res.json()) as { code?: string; message?: string };
      return { status: res.status, code: body.code, message: body.message };
    },
  },
  'GET /api/v1/cases': listOf('GET /api/v1/cases/:id', '/api/v1/cases?limit=500', (fx) => fx.id),
  'GET /api/v1/cases/:id': { fixtureKey: caseTarget, call: get((c) => `/api/v1/cases/${c.fx!.id}`) },
  'GET /api/v1/cases/:id/audit': { fixtureKey: caseTarget, call: get((c) => `/api/v1/cases/${c.fx!.id}/audit`) },
  'GET /api/v1/cases/:id/evidence': { fixtureKey: caseTarget, call: get((c) => `/api/v1/cases/${c.fx!.id}/evidence`) },
  'GET /api/v1/cases/:id/evidence/:evidenceId': { fixtureKey: caseTarget, call: get((c) => `/api/v1/cases/${c.fx!.id}/evidence/${c.fx!.evidenceId}`) },
  'POST /api/v1/cases/:id/evidence': {
    fixtureKey: caseTarget,
    async call(c) {
      const res = await fetch(`${t.http}/api/v1/cases/${c.fx!.id}/evidence`, {
        method: 'POST',
        headers: { ...(c.token ? { authorization: `Bearer ${c.token}` } : {}), 'content-type': 'image/jpeg' },
        body: jpeg(),
      });
      const body = (await res.json()) as { code?: string; message?: string };
      return { status: res.status, code: body.code, message: body.message };
    },
    written: (c) => caseWrites(c.fx!),
  },
  'POST /api/v1/cases/:id/evidence/sensor/:alertId/review': {
    fixtureKey: caseTarget,
    call: (c) => http('POST', `/api/v1/cases/${c.fx!.id}/evidence/sensor/${c.fx!.alertId}/review`, c.token, { note: 'checked the record' }),
    written: (c) => caseWrites(c.fx!),
  },
  'GET /api/v1/alerts': listOf('GET /api/v1/alerts/:id', '/api/v1/alerts?limit=500', (fx) => fx.alertId),
  'GET /api/v1/alerts/:id': { fixtureKey: caseTarget, call: get((c) => `/api/v1/alerts/${c.fx!.alertId}`) },
  'POST /api/v1/alerts/:id/verdict': {
    fixtureKey: caseTarget,
    call: (c) => http('POST', `/api/v1/alerts/${c.fx!.alertId}/verdict`, c.token, { verdict: 'confirmed' }),
    written: (c) => sqlText('SELECT verdict, by_user, at FROM alert_verdicts WHERE alert_id = $1', [c.fx!.alertId]),
  },
  'GET /api/v1/catalogue/matters': { call: get('/api/v1/catalogue/matters') },
  'GET /api/v1/catalogue/matters/:code': { call: get((c) => `/api/v1/catalogue/matters/${c.target}`) },
  'PUT /api/v1/catalogue/matters/:code': {
    call: (c) => http('PUT', `/api/v1/catalogue/matters/${c.target}-${c.n}`, c.token, {
      name: 'authz matter', alertKind: null, legalBasis: 'art. 1', handlingLevel: 'street', department: 'street team', domain: 'city_management', slaMinutes: 60, acceptSlaMinutes: 15, penalty: false,
    }),
    written: (c) => sqlText('SELECT code FROM matters WHERE code = $1', [`${c.target}-${c.n}`]),
  },
  'PUT /api/v1/catalogue/matters/:code/bounds': {
    call: (c) => http('PUT', `/api/v1/catalogue/matters/${c.target}/bounds`, c.token, {
      effectiveFrom: '2099-01-01', reason: `authz ${c.n}`,
      bounds: [{ partyKind: 'individual', fineRequired: false, minFineYuan: 200, maxFineYuan: 1000, mandatoryMeasures: ['warning'], legalBasis: 'art. 82' }],
    }),
    written: (c) => sqlText('SELECT id FROM catalogue_changes WHERE reason = $1', [`authz ${c.n}`]),
  },
  'PUT /api/v1/catalogue/matters/:code/benchmark': {
    call: (c) => http('PUT', `/api/v1/catalogue/matters/${c.target}/benchmark`, c.token, {
      effectiveFrom: '2099-01-01', reason: `authz ${c.n}`,
      tiers: [{ partyKind: 'individual', tier: 'normal', minFineYuan: 400, maxFineYuan: 700, measures: ['warning', 'fine'], facts: 'refused', legalBasis: 'art. 82' }],
    }),
    written: (c) => sqlText('SELECT id FROM catalogue_changes WHERE reason = $1', [`authz ${c.n}`]),
  },
  'PUT /api/v1/catalogue/officers/:userId/certificate': {
    call: (c) => http('PUT', `/api/v1/catalogue/officers/${c.target}/certificate`, c.token, { certificateNo: `ZF-AUTHZ-${c.n}`, validUntil: '2028-12-31', domains: ['city_management', 'ecology', 'culture_market', 'emergency'], reason: `authz ${c.n}` }),
    written: (c) => sqlText('SELECT id FROM catalogue_changes WHERE reason = $1', [`authz ${c.n}`]),
  },
  'GET /api/v1/catalogue/officers/:userId/certificates': { call: get((c) => `/api/v1/catalogue/officers/${c.target}/certificates`) },
  'PUT /api/v1/catalogue/review-posts/:id': {
    call: (c) => http('PUT', `/api/v1/catalogue/review-posts/${c.target}`, c.token, { name: 'authz post', kind: 'district', streetId: null, reason: `authz ${c.n}` }),
    written: (c) => sqlText('SELECT id FROM catalogue_changes WHERE reason = $1', [`authz ${c.n}`]),
  },
  'PUT /api/v1/catalogue/review-posts/:id/reviewers': {
    call: (c) => http('PUT', `/api/v1/catalogue/review-posts/${c.target}/reviewers`, c.token, { reviewers: ['u-review', 'u-centre-sun', 'u-centre-qian'], reason: `authz ${c.n}` }),
    written: (c) => sqlText('SELECT id FROM catalogue_changes WHERE reason = $1', [`authz ${c.n}`]),
  },
  'GET /api/v1/catalogue/changes': { call: get('/api/v1/catalogue/changes') },
  'GET /api/v1/parties/:id': {
    // The party is named by the fixture resolved on site.
    prepare: () => sharedFixture('E:resolved_on_site'),
    fixtureKey: partyCase,
    call: get((c) => partyLookup(c)),
  },
  'GET /api/v1/presence-requests': { call: get('/api/v1/presence-requests') },
  'POST /api/v1/cases/:id/presence': {
    fixtureKey: caseTarget,
    freshWhenAllowed: true,
    call: (c) => http('POST', `/api/v1/cases/${c.fx!.id}/presence`, c.token, { location: LOCATION[c.fx!.team === 't-east' ? 'E' : 'R'] }),
    written: (c) => sqlText('SELECT presence_confirmed_at FROM cases WHERE id = $1', [c.fx!.id]),
  },
  'POST /api/v1/cases/:id/evidence/:evidenceId/review': {
    fixtureKey: caseTarget,
    freshWhenAllowed: true,
    call: (c) => http('POST', `/api/v1/cases/${c.fx!.id}/evidence/${c.fx!.evidenceId}/review`, c.token, { note: 'checked the photo' }),
    written: (c) => sqlText('SELECT reviewer FROM evidence_file_reviews WHERE evidence_id = $1 ORDER BY reviewer', [c.fx!.evidenceId]),
  },
  'POST /api/v1/cases/:id/transitions': {
    fixtureKey: caseTarget,
    freshWhenAllowed: true,
    call: (c) => http('POST', `/api/v1/cases/${c.fx!.id}/transitions`, c.token, transitionBody(c)),
    written: (c) => caseWrites(c.fx!),
  },
  'GET /api/v1/public/inspection-items': { call: get('/api/v1/public/inspection-items') },
  'GET /api/v1/public/inspection-items/:code/history': { call: get((c) => `/api/v1/public/inspection-items/${c.target}/history`) },
  'GET /api/v1/public/inspection-plans': { prepare: sharedPlan, call: get('/api/v1/public/inspection-plans') },
  'GET /api/v1/public/inspection-plans/:id': { call: async (c) => http('GET', `/api/v1/public/inspection-plans/${await sharedPlan()}`, c.token) },
  'GET /api/v1/public/inspection-results': { prepare: () => sharedFixture('S:E:closed'), call: get('/api/v1/public/inspection-results') },
  'PUT /api/v1/inspection-items/:code': {
    call: (c) => http('PUT', `/api/v1/inspection-items/${c.target}-${c.n}`, c.token, {
      effectiveFrom: '2099-01-01', matterCode: 'NOISE-AMPLIFIED', title: 'authz item', checks: ['No loudspeaker'], legalBasis: 'art. 82', inspectorDomain: 'ecology', entityKinds: ['vendor'], reason: `authz ${c.n}`,
    }),
    written: (c) => sqlText('SELECT code FROM inspection_item_versions WHERE code = $1', [`${c.target}-${c.n}`]),
  },
  'GET /api/v1/inspectors': { call: get('/api/v1/inspectors') },
  'PUT /api/v1/inspectors/:userId': {
    // The registration of the seed (JC-3201-0002, both noise items), recorded again.
    call: (c) => http('PUT', `/api/v1/inspectors/${c.target}`, c.token, {
      certificateNo: 'JC-3201-0002', validFrom: '2026-01-01', validUntil: '2028-12-31', items: ['INS-NOISE-BIZ', 'INS-NOISE-SITE'], reason: `authz ${c.n}`,
    }),
    written: (c) => sqlText('SELECT id FROM catalogue_changes WHERE reason = $1', [`authz ${c.n}`]),
  },
  'GET /api/v1/market-entities': { call: get('/api/v1/market-entities') },
  'POST /api/v1/market-entities': {
    call: (c) => http('POST', '/api/v1/market-entities', c.token, { name: `authz entity ${c.n}`, kind: 'vendor', zoneId: 'z-park-square' }),
    written: (c) => sqlText('SELECT id FROM market_entities WHERE name = $1', [`authz entity ${c.n}`]),
  },
  'PUT /api/v1/market-entities/:id': {
    async call(c) {
      const all = await api<{ id: string; name: string; kind: string; zoneId: string; partyId: string | null }[]>(t, tokens.get('admin')!, 'GET', '/api/v1/market-entities');
      const e = all.body.find((x) => x.id === c.target)!;
      return http('PUT', `/api/v1/market-entities/${c.target}`, c.token, { name: e.name, kind: e.kind, zoneId: e.zoneId, address: `authz ${c.n}`, ...(e.partyId ? { partyId: e.partyId } : {}) });
    },
    written: (c) => sqlText('SELECT address, party_id FROM market_entities WHERE id = $1', [c.target]),
  },
  'GET /api/v1/market-entities/:id/credit': { call: get((c) => `/api/v1/market-entities/${c.target}/credit`) },
  'POST /api/v1/market-entities/:id/credit': {
    call: (c) => http('POST', `/api/v1/market-entities/${c.target}/credit`, c.token),
    written: (c) => sqlText('SELECT count(*)::int AS n FROM entity_credit WHERE entity_id = $1', [c.target]),
  },
  'POST /api/v1/market-entities/credit': {
    call: (c) => http('POST', '/api/v1/market-entities/credit', c.token),
    written: () => sqlText('SELECT count(*)::int AS n FROM entity_credit', []),
  },
  'POST /api/v1/inspection-plans': {
    // Each cell plans another month, so that no plan exists already.
    call: (c) => http('POST', '/api/v1/inspection-plans', c.token, { colour: c.target, on: planDay(c.n) }),
    written: (c) => sqlText('SELECT id FROM inspection_plans WHERE colour = $1 AND period_from <= $2::date AND period_to >= $2::date', [c.target, planDay(c.n)]),
  },
  'POST /api/v1/inspection-plans/:id/draw': {
    call: async (c) => http('POST', `/api/v1/inspection-plans/${await cellPlan(c)}/draw`, c.token),
    written: async (c) => sqlText('SELECT seed, drawn_at FROM inspection_plans WHERE id = $1', [await cellPlan(c)]),
  },
  'GET /api/v1/inspections': listOf('GET /api/v1/inspections/:id', '/api/v1/inspections', (fx) => fx.id),
  'GET /api/v1/inspections/:id': { fixtureKey: caseTarget, call: get((c) => `/api/v1/inspections/${c.fx!.id}`) },
  'POST /api/v1/inspections': {
    // On the spot for a complaint, at an entity of the cell's own, within what the caller may inspect.
    async call(c) {
      const fish = c.caller === 'fish';
      const second = fish ? 'u-fish-sun' : c.caller === 'r.zhao' ? 'u-river-chen' : c.caller === 'e.li' ? 'u-east-wang' : 'u-east-li';
      return http('POST', '/api/v1/inspections', c.token, {
        entityId: await cellEntity(c), itemCode: fish ? 'INS-FISH-BOAT' : 'INS-NOISE-BIZ', reason: 'complaint', complaintRef: `AUTHZ-${c.n}`,
        secondInspectorId: second, location: LOCATION[c.caller === 'e.li' || c.caller === 'e.lead' ? 'E' : 'R'],
      });
    },
    written: async (c) => sqlText('SELECT id, state FROM inspections WHERE entity_id = $1', [await cellEntity(c)]),
  },
  'POST /api/v1/inspections/:id/open': {
    fixtureKey: caseTarget,
    freshWhenAllowed: true,
    call: (c) => http('POST', `/api/v1/inspections/${c.fx!.id}/open`, c.token, {
      secondInspectorId: c.fx!.team === 't-east' ? (c.caller === 'e.li' ? 'u-east-wang' : 'u-east-li') : 'u-river-chen', location: LOCATION[c.fx!.team === 't-east' ? 'E' : 'R'],
    }),
    written: (c) => inspectionWrites(c.fx!),
  },
  'POST /api/v1/inspections/:id/presence': {
    fixtureKey: caseTarget,
    freshWhenAllowed: true,
    call: (c) => http('POST', `/api/v1/inspections/${c.fx!.id}/presence`, c.token, { location: LOCATION[c.fx!.team === 't-east' ? 'E' : 'R'] }),
    written: (c) => inspectionWrites(c.fx!),
  },
  'POST /api/v1/inspections/:id/result': {
    fixtureKey: caseTarget,
    freshWhenAllowed: true,
    call: (c) => http('POST', `/api/v1/inspections/${c.fx!.id}/result`, c.token, inspectionResult(c.fx!.team === 't-east' ? 'INS-NOISE-BIZ' : 'INS-FISH-BOAT')),
    written: (c) => inspectionWrites(c.fx!),
  },
  'POST /api/v1/inspections/:id/case': {
    fixtureKey: caseTarget,
    freshWhenAllowed: true,
    call: (c) => http('POST', `/api/v1/inspections/${c.fx!.id}/case`, c.token, { note: `authz ${c.n}` }),
    written: (c) => inspectionWrites(c.fx!),
  },
  'GET /api/v1/inspection-refusals': { call: get('/api/v1/inspection-refusals') },
};


// Complaints: each cell gets a complaint of its own (K:east: a noise complaint of East Lake Park with a
// contact and a photo, held by t-east; K:queue: one in the coordination queue), made before the call.
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(16)]);
const complaints = new Map<number, Promise<{ id: string; trackingNumber: string; checkCode: string }>>();
const complaintOf = (c: Cell) => {
  let k = complaints.get(c.n);
  if (!k) {
    const queue = c.target === 'K:queue';
    k = t.platform.complaints.create({
      channel: 'hotline', category: queue ? 'other' : 'noise', description: `authz complaint ${c.n}`, zoneId: 'z-park-square',
      occurredAt: new Date(), photos: [{ contentType: 'image/png', bytes: PNG }], contact: { phone: '138 0000 0000' }, filedBy: null,
    }).then((r) => ({ id: r.complaint.id, trackingNumber: r.complaint.trackingNumber, checkCode: r.checkCode }));
    complaints.set(c.n, k);
  }
  return k;
};
const complaintWrites = async (c: Cell) => {
  const k = await complaintOf(c);
  return sqlText(`SELECT status, team_id, (SELECT count(*) FROM complaint_events e WHERE e.complaint_id = c.id) AS events,
    (SELECT count(*) FROM complaint_contact_views v WHERE v.complaint_id = c.id) AS views FROM complaints c WHERE id = $1`, [k.id]);
};
const complaintBody = (n: number) => ({ category: 'noise', description: `authz complaint ${n}`, zoneId: 'z-park-square' });
const COMPLAINT_SPECS: Record<string, RouteSpec> = {
  'GET /api/v1/complaints': { call: get('/api/v1/complaints') },
  'POST /api/v1/complaints': {
    call: (c) => http('POST', '/api/v1/complaints', c.token, complaintBody(c.n)),
    written: (c) => sqlText('SELECT id FROM complaints WHERE description = $1', [`authz complaint ${c.n}`]),
  },
  'GET /api/v1/complaints/:id': { call: async (c) => http('GET', `/api/v1/complaints/${(await complaintOf(c)).id}`, c.token) },
  'GET /api/v1/complaints/:id/contact': { call: async (c) => http('GET', `/api/v1/complaints/${(await complaintOf(c)).id}/contact`, c.token), written: complaintWrites },
  'GET /api/v1/complaints/:id/photos/:n': {
    async call(c) {
      const res = await fetch(`${t.http}/api/v1/complaints/${(await complaintOf(c)).id}/photos/1`, { headers: c.token ? { authorization: `Bearer ${c.token}` } : {} });
      if (res.ok) return { status: res.status };
      const body = (await res.json()) as { code?: string; message?: string };
      return { status: res.status, code: body.code, message: body.message };
    },
  },
  'POST /api/v1/complaints/:id/reply': {
    call: async (c) => http('POST', `/api/v1/complaints/${(await complaintOf(c)).id}/reply`, c.token, { status: 'handled', reply: 'music turned down' }),
    written: complaintWrites,
  },
  'POST /api/v1/complaints/:id/decline': {
    call: async (c) => http('POST', `/api/v1/complaints/${(await complaintOf(c)).id}/decline`, c.token, { reason: 'not ours' }),
    written: complaintWrites,
  },
  'POST /api/v1/complaints/:id/assign': {
    call: async (c) => http('POST', `/api/v1/complaints/${(await complaintOf(c)).id}/assign`, c.token, { teamId: 't-east' }),
    written: complaintWrites,
  },
  'GET /api/v1/cases/:id/complaints': { fixtureKey: caseTarget, call: get((c) => `/api/v1/cases/${c.fx!.id}/complaints`) },
  'POST /api/v1/public/complaints': {
    call: (c) => http('POST', '/api/v1/public/complaints', c.token, complaintBody(c.n)),
    written: (c) => sqlText('SELECT id FROM complaints WHERE description = $1', [`authz complaint ${c.n}`]),
  },
  'POST /api/v1/public/complaints/status': {
    call: async (c) => {
      const k = await complaintOf(c);
      return http('POST', '/api/v1/public/complaints/status', c.token, { trackingNumber: k.trackingNumber, checkCode: k.checkCode });
    },
  },
  'GET /open311/v2/services.json': { call: get('/open311/v2/services.json') },
  'GET /open311/v2/services/:code': { call: get((c) => `/open311/v2/services/${c.target}`) },
  'POST /open311/v2/requests.json': {
    async call(c) {
      const res = await fetch(`${t.http}/open311/v2/requests.json`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(c.token ? { authorization: `Bearer ${c.token}` } : {}) },
        body: new URLSearchParams({ service_code: 'noise', address_id: 'z-park-square', description: `authz complaint ${c.n}` }).toString(),
      });
      return { status: res.status };
    },
    written: (c) => sqlText('SELECT id FROM complaints WHERE description = $1', [`authz complaint ${c.n}`]),
  },
  'GET /open311/v2/requests/:id': { call: async (c) => http('GET', `/open311/v2/requests/${(await complaintOf(c)).trackingNumber}.json`, c.token) },
  'GET /open311/v2/requests.json': { call: async (c) => http('GET', `/open311/v2/requests.json?service_request_id=${(await complaintOf(c)).trackingNumber}`, c.token) },
};

// Webhooks: subscribers the admin adds through the API, at a public https URL (the URL guard's default
// policy; no WEBHOOK_ALLOWED_HOSTS needed). Their events never happen here (case.closed of fishing cases).
const subscriberBody = (n: number) => ({ name: `authz subscriber ${n}`, url: `https://hooks.example.org/authz/${n}`, eventTypes: ['case.closed'], caseKinds: ['fishing'] });
let sharedSubscriber: Promise<string> | undefined;
const subscriber = () => (sharedSubscriber ??= (async () => {
  const r = await api<{ subscriber: { id: string } }>(t, tokens.get('admin')!, 'POST', '/api/v1/webhooks/subscribers', subscriberBody(0));
  if (r.status !== 201) throw new Error(`fixture subscriber: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.subscriber.id;
})());
/** A dead letter of the shared subscriber, as the worker leaves one after its last attempt. */
const cellDeadLetter = perCell(async (c) => {
  const { rows } = await t.platform.db.pool.query<{ id: string }>(
    `INSERT INTO webhook_deliveries (subscriber_id, message_id, event_type, case_id, body, state, attempts, last_status, last_error, dead_at)
     VALUES ($1, $2, 'case.closed', NULL, '{}', 'dead', 8, 500, 'HTTP 500', now()) RETURNING id`,
    [await subscriber(), `msg_authz_${c.n}`],
  );
  return String(rows[0]!.id);
});

// The fishing-ban exchange: a notice of its own per cell, signed with our key, a key not ours, or not at all.
const BAN_SECRET = newWebhookSecret();
const FORGED_SECRET = newWebhookSecret();
const banNotice = (n: number) => ({
  type: 'ban.upserted', timestamp: new Date().toISOString(),
  data: { id: `AUTHZ-${n}`, kind: 'closed_stretch', name: `authz stretch ${n}`, zoneIds: ['z-riverbank'], from: null, until: null },
});
async function postBan(c: Cell): Promise<Answer> {
  const body = JSON.stringify(banNotice(c.n));
  const signature = c.target === 'unsigned' ? {} : signedHeaders([c.target === 'signed' ? BAN_SECRET : FORGED_SECRET], `msg_authz_${c.n}`, Math.floor(Date.now() / 1000), body);
  const res = await fetch(`${t.http}/api/v1/exchange/fishing-ban`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...signature, ...(c.token ? { authorization: `Bearer ${c.token}` } : {}) }, body,
  });
  const answer = (await res.json()) as { code?: string; message?: string };
  return { status: res.status, code: answer.code, message: answer.message, body: answer };
}

const WEBHOOK_SPECS: Record<string, RouteSpec> = {
  'GET /api/v1/zones/:id/rules/history': { call: get((c) => `/api/v1/zones/${c.target}/rules/history`) },
  'GET /api/v1/district/rules/history': { call: get('/api/v1/district/rules/history') },
  'GET /api/v1/webhooks/subscribers': {
    prepare: subscriber,
    call: get('/api/v1/webhooks/subscribers'),
    // A secret is shown once, to the admin who added or rotated it; never in the list.
    async check(_c, a) {
      if (JSON.stringify(a.body).includes('whsec_')) return 'the list shows a signing secret';
      const id = await subscriber();
      return (a.body as { id: string }[]).some((s) => s.id === id) ? undefined : `misses subscriber ${id}`;
    },
  },
  'POST /api/v1/webhooks/subscribers': {
    call: (c) => http('POST', '/api/v1/webhooks/subscribers', c.token, subscriberBody(c.n)),
    written: (c) => sqlText('SELECT id FROM webhook_subscribers WHERE name = $1', [`authz subscriber ${c.n}`]),
  },
  'PATCH /api/v1/webhooks/subscribers/:id': {
    call: async (c) => http('PATCH', `/api/v1/webhooks/subscribers/${await subscriber()}`, c.token, { url: `https://hooks.example.org/authz/${c.n}` }),
    written: async () => sqlText('SELECT url FROM webhook_subscribers WHERE id = $1', [await subscriber()]),
  },
  'POST /api/v1/webhooks/subscribers/:id/rotate': {
    call: async (c) => http('POST', `/api/v1/webhooks/subscribers/${await subscriber()}/rotate`, c.token, { graceS: 0 }),
    written: async () => sqlText('SELECT id FROM webhook_keys WHERE subscriber_id = $1 ORDER BY id', [await subscriber()]),
  },
  'GET /api/v1/webhooks/deliveries': { call: get('/api/v1/webhooks/deliveries') },
  'POST /api/v1/webhooks/deliveries/:id/retry': {
    call: async (c) => http('POST', `/api/v1/webhooks/deliveries/${await cellDeadLetter(c)}/retry`, c.token),
    written: async (c) => sqlText('SELECT state, attempts FROM webhook_deliveries WHERE id = $1', [await cellDeadLetter(c)]),
  },
  'POST /api/v1/exchange/fishing-ban': {
    call: postBan,
    written: (c) => sqlText('SELECT id FROM ban_notices WHERE id = $1', [`AUTHZ-${c.n}`]),
  },
};

const REASON: Record<Exclude<Outcome, 'ok'>, RegExp> = {
  // The signed inbound endpoint takes no bearer token: unsigned is a 400, a signature under no key of ours a 401.
  // A party is looked up for a case (PARTY_LOOKUP_CASE_REQUIRED), and only for the party it names once settled (PARTY_NOT_OF_CASE).
  '400': /^(WEBHOOK_HEADERS_MISSING|PARTY_LOOKUP_CASE_REQUIRED)$/,
  '401': /^(UNAUTHORIZED|WEBHOOK_SIGNATURE_INVALID)$/, '403': /^(FORBIDDEN|PARTY_NOT_OF_CASE)$/, '404': /^[A-Z]+_NOT_FOUND$/, '422': /^(NOT_SECOND_OFFICER|SELF_REVIEW|NOT_ASSIGNED)$/,
};

/** Runs one cell; returns what went wrong (nothing when the outcome is the expected one). */
async function runCell(row: Row, caller: Caller): Promise<string | undefined> {
  const spec = (SPECS[row.route] ?? COMPLAINT_SPECS[row.route] ?? WEBHOOK_SPECS[row.route])!;
  const expected = row.expect[caller];
  const cell: Cell = { caller, token: tokenOf(caller), target: row.target, n: ++cellNo };
  const key = spec.fixtureKey?.(row.target);
  const fresh = key !== undefined && expected === 'ok' && spec.freshWhenAllowed === true;
  if (key !== undefined) cell.fx = fresh ? await build(key) : await sharedFixture(key);
  await spec.prepare?.();
  const before = await spec.written?.(cell);
  const answer = await spec.call(cell);
  const after = await spec.written?.(cell);
  const got: Outcome | string = answer.status >= 200 && answer.status < 300 ? 'ok' : String(answer.status);
  const where = `${row.route} [${row.target}] as ${caller}`;
  const problems: string[] = [];
  if (got !== expected) problems.push(`expected ${expected}, got ${answer.status}${answer.code ? ` ${answer.code}` : ''}${answer.message ? ` (${answer.message})` : ''}`);
  else if (expected !== 'ok' && !REASON[expected].test(answer.code ?? '')) problems.push(`refused with ${answer.status} but code ${answer.code ?? 'none'} (${answer.message ?? ''})`);
  if (spec.written) {
    if (expected !== 'ok' && before !== after) problems.push(`refusal expected but it wrote: ${before} → ${after}`);
    if (expected === 'ok' && got === 'ok' && before === after) problems.push('allowed call wrote nothing');
  }
  if (expected === 'ok' && got === 'ok' && spec.check) {
    const wrong = await spec.check(cell, answer);
    if (wrong) problems.push(wrong);
  }
  // A shared case the call changed (a refusal that went through) no longer is what its target says.
  if (key !== undefined && !fresh && before !== after) shared.delete(key);
  return problems.length ? `${where}: ${problems.join('; ')}` : undefined;
}

/** Every route of the running app as `METHOD /path/:param`, from Fastify's route table (HEAD and /docs excluded). */
function appRoutes(): Set<string> {
  const tree = t.platform.api!.instance.printRoutes({ commonPrefix: false });
  const stack: string[] = [];
  const routes = new Set<string>();
  for (const line of tree.split('\n')) {
    const m = /^(.*?)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const path = (depth === 0 ? '' : stack[depth - 1]!) + m[2]!;
    stack[depth] = path;
    const full = path.startsWith('/') ? path : `/${path}`;
    for (const method of (m[3] ?? '').split(', ').filter(Boolean)) {
      if (method === 'HEAD' || full === '/docs' || full.startsWith('/docs/')) continue;
      routes.add(`${method} ${full}`);
    }
  }
  return routes;
}

beforeAll(async () => {
  t = await startTestPlatform({
    SERVICES: 'api', COMPLAINT_PUBLIC_PER_HOUR: '1000', COMPLAINT_LOOKUP_PER_HOUR: '1000', FISHING_BAN_INBOUND_SECRETS: BAN_SECRET,
  });
  // The API alone: the committed model versions as an inference process elsewhere registers them.
  await new InferenceRepository(t.platform.db.pool).registerModels(await listModels([MODELS_DIR]));
  for (const user of [...Object.values(USERNAME).filter((u): u is string => u !== null), 'centre.sun', 'centre.qian', 'east.wang', 'river.chen']) tokens.set(user, await login(t, user));
});
afterAll(async () => {
  await t?.stop();
});

describe('authorization matrix: every route × every role', () => {
  it('has a row for every route the app serves, and only for those', async () => {
    const served = appRoutes();
    const inMatrix = new Set(ROWS.map((r) => r.route));
    expect([...served].filter((r) => !inMatrix.has(r)).sort(), 'routes without a row in the matrix').toEqual([]);
    expect([...inMatrix].filter((r) => !served.has(r)).sort(), 'rows for routes the app does not serve').toEqual([]);
    expect([...inMatrix].filter((r) => !SPECS[r] && !COMPLAINT_SPECS[r] && !WEBHOOK_SPECS[r]).sort(), 'rows without a way to call them').toEqual([]);
    // The OpenAPI document names no route the table misses (it hides only the web page).
    const doc = await api<{ paths: Record<string, Record<string, unknown>> }>(t, null, 'GET', '/docs/json');
    const documented = Object.entries(doc.body.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`));
    expect(documented.filter((r) => !inMatrix.has(r)).sort(), 'documented routes without a row').toEqual([]);
    expect(ROWS.length * CALLERS.length).toBeGreaterThan(700);
  });

  // One test per row (route and target), so a busy machine's slowness is measured per row, not per route.
  it.each(ROWS.map((row) => [`${row.route} ${row.target}`, row] as const))('%s', async (_name, row) => {
    const problems: string[] = [];
    for (const caller of CALLERS) {
      const problem = await runCell(row, caller);
      if (problem) problems.push(problem);
    }
    expect(problems).toEqual([]);
  }, 240_000);
});
