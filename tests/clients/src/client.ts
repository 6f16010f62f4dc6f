// A small typed client over the generated documents (src/gql/, GraphQL Code Generator's
// client preset). `tsc --noEmit --strict` checks it: every switch below is exhaustive, with a
// `never` check in its default branch, so a schema that adds a union member, an interface
// implementation or an ErrorReason value this client does not handle fails the build — as
// does a schema that renames or removes a field the operations select (codegen itself fails).
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";

import {
  ApproveMemberDocument,
  BlockMemberDocument,
  CurrentMemberDocument,
  LoginDocument,
  MemberByIdDocument,
  MemberEventsDocument,
  MembersDocument,
  RegisterDocument,
  RequestPasswordResetDocument,
  UpdateMemberDocument,
  type ErrorReason,
  type EventActor,
  type LoginMutation,
  type MemberEventKind,
  type MemberEventsQuery,
  type MembersQuery,
  type RegisterMutation,
  type UpdateMemberInput,
} from "./gql/graphql";

export function assertNever(value: never): never {
  throw new Error(`unhandled value: ${JSON.stringify(value)}`);
}

/** Who is calling: nobody, a member (its session token) or the backend (the API key). */
export type Caller = { readonly sessionToken?: string; readonly apiKey?: string };

export class GraphQLRequestError extends Error {
  constructor(
    message: string,
    readonly codes: readonly (number | undefined)[],
  ) {
    super(message);
  }

  /** 3243: the site requires a second factor and this session has not proved one, so the server ran
   * nothing: send the member to enrol one (enrollTotp, a passkey) or to prove it (reauthenticate). */
  get secondFactorRequired(): boolean {
    return this.codes.includes(3243);
  }
}

type GraphQLResponse<TResult> = {
  data?: TResult | null;
  errors?: { message: string; extensions?: { code?: number; reason?: ErrorReason } }[];
};

/** One operation over HTTP POST; request-level and field errors throw (the data is typed). */
export async function execute<TResult, TVariables extends Record<string, unknown>>(
  url: string,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
  caller: Caller = {},
): Promise<TResult> {
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    Accept: "application/graphql-response+json, application/json;q=0.9",
  };
  if (caller.sessionToken !== undefined) headers["Authorization"] = `Bearer ${caller.sessionToken}`;
  if (caller.apiKey !== undefined) headers["X-Api-Key"] = caller.apiKey;
  const response = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as GraphQLResponse<TResult>;
  if (body.errors?.length || body.data == null) {
    const errors = body.errors ?? [];
    throw new GraphQLRequestError(
      errors.map((error) => error.message).join("; ") || `HTTP ${response.status} without data`,
      errors.map((error) => error.extensions?.code),
    );
  }
  return body.data;
}

// --- ErrorReason: what a user interface does about each one ---------------------------

export type Advice =
  | "fix-input"
  | "sign-in"
  | "set-up-second-factor"
  | "wait"
  | "retry-later"
  | "forbidden"
  | "not-found"
  | "report";

/** Exhaustive over ErrorReason: a new reason in the schema does not compile until handled here. */
export function advice(reason: ErrorReason): Advice {
  switch (reason) {
    case "EMPTY_CREDENTIALS":
    case "UNKNOWN_PROPERTY":
    case "MISSING_PASSWORD":
    case "REQUIRED_PROPERTY_MISSING":
    case "MISSING_IDENTITY":
    case "REGISTRATION_ERROR":
    case "IDENTITY_TAKEN":
    case "RESERVED_PROPERTY":
    case "EMAIL_FORMAT":
    case "REQUIRED_PROPERTY_EMPTY":
    case "DUPLICATE_PROPERTY":
    case "WRONG_CURRENT_PASSWORD":
    case "EMAIL_REQUIRED":
    case "VALUE_TOO_LONG":
    case "PASSWORD_POLICY":
    case "SLUG_TAKEN":
    case "ROLE_NAME_TAKEN":
    case "INVALID_ARGUMENT":
    case "INVALID_CREDENTIALS":
    case "REDIRECT_URI_NOT_ALLOWED":
    case "SECOND_FACTOR_INVALID":
    case "LOGIN_CODE_INVALID":
    case "PASSKEY_INVALID":
      return "fix-input";
    case "NOT_LOGGED_IN":
    case "TOKEN_EXPIRED":
    case "TOKEN_USED":
    case "TOKEN_INVALID":
    case "EXTERNAL_STATE_INVALID":
    case "EXTERNAL_ANSWER_INVALID":
    case "EXTERNAL_LINK_REQUIRED":
    case "RECENT_SECOND_FACTOR_REQUIRED":
      return "sign-in";
    case "MFA_REQUIRED":
      // A role (or the site) asks for a second factor: enrol one, or prove it in this session.
      return "set-up-second-factor";
    case "PENDING_APPROVAL":
    case "EMAIL_NOT_CONFIRMED":
    case "EMAIL_ALREADY_CONFIRMED":
    case "EMAIL_CONFIRMATION_DISABLED":
    case "NO_ACCOUNT_WITH_EMAIL":
      return "wait";
    case "ACCOUNT_LOCKED":
    case "RATE_LIMITED":
    case "UNAVAILABLE":
    case "TOO_MANY_SESSIONS":
      return "retry-later";
    case "INVALID_API_KEY":
    case "LOGIN_DISABLED":
    case "REGISTRATION_DISABLED":
    case "NOT_ALLOWED":
    case "NOT_CONVERTIBLE":
    case "PERSISTED_QUERY_NOT_ALLOWED":
    case "BUILT_IN_ROLE":
    case "CANNOT_GRANT":
    case "LAST_SIGN_IN_METHOD":
    case "IDENTITY_LINKED_ELSEWHERE":
    case "FACTOR_STATE":
    case "PASSWORDLESS_DISABLED":
      return "forbidden";
    case "MEMBER_NOT_FOUND":
    case "ROLE_NOT_FOUND":
    case "BADGE_NOT_FOUND":
    case "API_KEY_NOT_FOUND":
    case "SESSION_NOT_FOUND":
    case "UNKNOWN_PROVIDER":
    case "MFA_TOKEN_INVALID":
    case "PASSKEY_NOT_FOUND":
      return "not-found";
    case "GRAPHQL_PARSE_FAILED":
    case "GRAPHQL_VALIDATION_FAILED":
    case "BAD_VARIABLES":
    case "QUERY_TOO_DEEP":
    case "TOO_MANY_ALIASES":
    case "TOO_MANY_TOKENS":
    case "REQUEST_TOO_LARGE":
    case "PERSISTED_QUERY_NOT_FOUND":
    case "BAD_REQUEST":
      return "report";
    default:
      return assertNever(reason);
  }
}

export type Failure = {
  readonly reason: ErrorReason;
  readonly code: number;
  readonly message: string;
  readonly property: string | null;
  readonly advice: Advice;
  readonly retryAfter?: number;
};

function failure(error: {
  reason: ErrorReason;
  code: number;
  message: string;
  property?: string | null;
  retryAfter?: number;
}): Failure {
  return {
    reason: error.reason,
    code: error.code,
    message: error.message,
    property: error.property ?? null,
    advice: advice(error.reason),
    ...(error.retryAfter === undefined ? {} : { retryAfter: error.retryAfter }),
  };
}

// --- Results: exhaustive on __typename -----------------------------------------------

export type Session = { readonly sessionToken: string; readonly memberId: string };
/** A sign-in of a member with a second factor: send the token and a code to verifyMfa. */
export type SecondFactorStep = { readonly mfaToken: string; readonly methods: readonly string[] };
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: Failure };

/** Every member of LoginResult by name: a new error type in the union does not compile until handled. */
export function loginOutcome(result: LoginMutation["login"]): Outcome<Session | SecondFactorStep> {
  switch (result.__typename) {
    case "LoginPayload":
      return { ok: true, value: { sessionToken: result.sessionToken, memberId: result.member.id } };
    case "MfaRequired":
      return { ok: true, value: { mfaToken: result.mfaToken, methods: result.methods } };
    case "AccountLockedError":
    case "RateLimitedError":
    case "TooManySessionsError":
      return { ok: false, failure: failure(result) };
    case "InvalidCredentialsError":
    case "EmptyCredentialsError":
    case "LoginDisabledError":
    case "PendingApprovalError":
    case "EmailNotConfirmedError":
      return { ok: false, failure: failure(result) };
    default:
      return assertNever(result);
  }
}

export type Registration =
  | { readonly status: "ACTIVE"; readonly session: Session }
  | { readonly status: "PENDING"; readonly memberId: string; readonly approvalToken: string | null }
  | { readonly status: "EMAIL_CONFIRMATION_PENDING"; readonly memberId: string };

/** The payload by name, every error through the Error interface (new error types need no code). */
export function registrationOutcome(result: RegisterMutation["register"]): Outcome<Registration> {
  if (result.__typename !== "RegisterPayload") return { ok: false, failure: failure(result) };
  switch (result.status) {
    case "ACTIVE":
      if (result.sessionToken === null) throw new Error("ACTIVE registration without a session token");
      return {
        ok: true,
        value: { status: "ACTIVE", session: { sessionToken: result.sessionToken, memberId: result.member.id } },
      };
    case "PENDING":
      return { ok: true, value: { status: "PENDING", memberId: result.member.id, approvalToken: result.approvalToken } };
    case "EMAIL_CONFIRMATION_PENDING":
      return { ok: true, value: { status: "EMAIL_CONFIRMATION_PENDING", memberId: result.member.id } };
    default:
      return assertNever(result.status);
  }
}

type ListedMember = NonNullable<MembersQuery["members"]>["edges"][number]["node"];

/** What a listing shows of one member: Member (full) or PublicMember (public profile), nothing else. */
export function memberLine(node: ListedMember): string {
  switch (node.__typename) {
    case "Member":
      return `${node.profile.nickname} <${node.loginEmail ?? "guest"}> ${node.status} ${node.privacyStatus}`;
    case "PublicMember":
      return `${node.profile.nickname}${node.profile.title ? `, ${node.profile.title}` : ""}`;
    default:
      return assertNever(node);
  }
}

type MemberEvent = NonNullable<MemberEventsQuery["memberEvents"]>["edges"][number]["node"];

export function eventLine(event: Pick<MemberEvent, "kind" | "actor" | "createdDate">): string {
  return `${event.createdDate} ${verb(event.kind)} by ${actorName(event.actor)}`;
}

function verb(kind: MemberEventKind): string {
  switch (kind) {
    case "REGISTERED":
      return "registered";
    case "CREATED":
      return "created";
    case "GUEST_CREATED":
      return "started as a guest";
    case "APPROVED":
      return "approved";
    case "BLOCKED":
      return "blocked";
    case "UNBLOCKED":
      return "unblocked";
    case "EMAIL_CONFIRMED":
      return "confirmed the email";
    case "PASSWORD_CHANGED":
      return "changed the password";
    case "PROFILE_UPDATED":
      return "updated the profile";
    case "LOGIN_EMAIL_CHANGED":
      return "changed the login email";
    case "DELETED":
      return "deleted";
    case "ROLE_ASSIGNED":
      return "was given a role";
    case "ROLE_REMOVED":
      return "lost a role";
    case "BADGE_ASSIGNED":
      return "was awarded a badge";
    case "BADGE_REMOVED":
      return "lost a badge";
    case "TRUSTED_SIGN_IN":
      return "signed in by a trusted caller";
    case "MUTED":
      return "muted";
    case "UNMUTED":
      return "unmuted";
    case "PASSWORD_VERIFIED":
      return "verified the password";
    case "EMAIL_CONFIRMATION_URL_CREATED":
      return "was given a confirmation link";
    case "LOGGED_OUT":
      return "signed out";
    case "SESSION_REVOKED":
      return "lost a session";
    case "SESSIONS_REVOKED":
      return "lost every session";
    case "ACCESS_TOKEN_ISSUED":
      return "was issued an access token";
    case "EXTERNAL_IDENTITY_LINKED":
      return "linked an external sign-in";
    case "EXTERNAL_IDENTITY_UNLINKED":
      return "unlinked an external sign-in";
    case "EXTERNAL_SIGN_IN":
      return "signed in through a provider";
    case "TOTP_ENABLED":
      return "turned on an authenticator app";
    case "TOTP_DISABLED":
      return "turned off its authenticator app";
    case "RECOVERY_CODES_REGENERATED":
      return "replaced its recovery codes";
    case "MFA_RESET":
      return "had its second factor reset";
    case "SECOND_FACTOR_VERIFIED":
      return "proved its second factor";
    case "PASSKEY_ADDED":
      return "registered a passkey";
    case "PASSKEY_RENAMED":
      return "renamed a passkey";
    case "PASSKEY_REMOVED":
      return "deleted a passkey";
    case "LOGIN_CODE_REQUESTED":
      return "was sent a sign-in code";
    case "LOGGED_IN_WITH_CODE":
      return "signed in with a code";
    default:
      return assertNever(kind);
  }
}

function actorName(actor: EventActor): string {
  switch (actor) {
    case "ANONYMOUS":
      return "an anonymous caller";
    case "MEMBER":
      return "the member";
    case "BACKEND":
      return "the backend";
    default:
      return assertNever(actor);
  }
}

// --- The flows, typed end to end ------------------------------------------------------

export class MembersClient {
  constructor(
    readonly url: string,
    readonly caller: Caller = {},
  ) {}

  as(caller: Caller): MembersClient {
    return new MembersClient(this.url, caller);
  }

  async register(email: string, password: string, nickname?: string): Promise<Outcome<Registration>> {
    const data = await execute(
      this.url,
      RegisterDocument,
      { email, password, options: { privacyStatus: "PUBLIC", contactInfo: { firstName: nickname ?? null } } },
      this.caller,
    );
    return registrationOutcome(data.register);
  }

  async login(identity: string, password: string): Promise<Outcome<Session | SecondFactorStep>> {
    const data = await execute(this.url, LoginDocument, { identity, password }, this.caller);
    return loginOutcome(data.login);
  }

  async currentMemberEmail(): Promise<string | null> {
    const data = await execute(this.url, CurrentMemberDocument, {}, this.caller);
    return data.currentMember?.loginEmail ?? null;
  }

  async memberLines(first: number, after?: string): Promise<{ lines: string[]; endCursor: string | null }> {
    const data = await execute(this.url, MembersDocument, { first, after: after ?? null }, this.caller);
    if (data.members === null) return { lines: [], endCursor: null };
    return { lines: data.members.edges.map((edge) => memberLine(edge.node)), endCursor: data.members.pageInfo.endCursor };
  }

  async memberKind(id: string): Promise<"Member" | "PublicMember" | "hidden"> {
    const data = await execute(this.url, MemberByIdDocument, { id }, this.caller);
    return data.member === null ? "hidden" : data.member.__typename;
  }

  async updateMember(id: string, input: UpdateMemberInput): Promise<Outcome<string>> {
    const data = await execute(this.url, UpdateMemberDocument, { id, input }, this.caller);
    const result = data.updateMember;
    if (result.__typename === "UpdateMemberPayload") return { ok: true, value: result.member.profile.slug };
    return { ok: false, failure: failure(result) };
  }

  async events(memberId: string): Promise<string[]> {
    const data = await execute(this.url, MemberEventsDocument, { memberId, first: 100 }, this.caller);
    return (data.memberEvents?.edges ?? []).map((edge) => eventLine(edge.node));
  }

  async approve(id: string): Promise<Outcome<string>> {
    const result = (await execute(this.url, ApproveMemberDocument, { id }, this.caller)).approveMember;
    switch (result.__typename) {
      case "ApproveMemberPayload":
        return { ok: true, value: result.member.status };
      case "MemberNotFoundError":
      case "NotAllowedError":
      case "MfaRequiredError":
      case "LoginDisabledError":
        return { ok: false, failure: failure(result) };
      default:
        return assertNever(result);
    }
  }

  async block(id: string): Promise<Outcome<string>> {
    const result = (await execute(this.url, BlockMemberDocument, { id }, this.caller)).blockMember;
    switch (result.__typename) {
      case "BlockMemberPayload":
        return { ok: true, value: result.member.status };
      case "MemberNotFoundError":
      case "NotAllowedError":
      case "MfaRequiredError":
        return { ok: false, failure: failure(result) };
      default:
        return assertNever(result);
    }
  }

  async requestPasswordReset(email: string): Promise<Outcome<string>> {
    const result = (await execute(this.url, RequestPasswordResetDocument, { email }, this.caller)).requestPasswordReset;
    switch (result.__typename) {
      case "RequestPasswordResetPayload":
        return { ok: true, value: result.email };
      case "RateLimitedError":
        return { ok: false, failure: failure(result) };
      default:
        return assertNever(result);
    }
  }
}
