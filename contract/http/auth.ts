import { Type, type Static } from '@sinclair/typebox';

/** The people of DESIGN §2, as roles a token carries. */
/** `agency_head`: the head of the bureau (行政机关负责人), who alone extends a decision deadline. */
/** `hotline`: a citizen-hotline (12345) operator, who files complaints and follows them, and sees no case file. */
export const ROLES = ['officer', 'team_lead', 'operator', 'reviewer', 'admin', 'agency_head', 'hotline'] as const;
export type Role = (typeof ROLES)[number];

export const User = Type.Object({
  id: Type.String(),
  username: Type.String(),
  role: Type.Union(ROLES.map((r) => Type.Literal(r))),
  teamId: Type.Union([Type.String(), Type.Null()]),
  teamName: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: "the team's name" })),
  teamNameZh: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'its name in Chinese (null: teamName)' })),
  displayName: Type.String(),
  displayNameZh: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'the name in Chinese, shown by the Chinese UI (null: displayName)' })),
  reviewPostId: Type.Union([Type.String(), Type.Null()], { description: "a reviewer's legal review post" }),
  reviewPostName: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'its name' })),
  reviewPostNameZh: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'its name in Chinese (null: reviewPostName)' })),
});
export type User = Static<typeof User>;

export const Tokens = Type.Object({
  accessToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'seconds the access token is valid' }),
  refreshToken: Type.String({ description: 'single use: POST it to /api/v1/auth/refresh for new tokens' }),
  refreshExpiresIn: Type.Integer({ description: 'seconds the refresh token is valid' }),
  user: User,
});
export type Tokens = Static<typeof Tokens>;

export const LoginBody = Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) });
export const RefreshBody = Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
export const NoContent = Type.Null();
export const Me = Type.Object({ id: Type.String(), username: Type.String(), role: Type.String(), teamId: Type.Union([Type.String(), Type.Null()]) });
