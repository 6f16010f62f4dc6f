// A small typed client for the members GraphQL server, over the documents GraphQL Code Generator
// makes from operations/*.graphql (src/gql/, `npm run codegen`). Every mutation answers with a
// union: a payload, or an error type carrying `code`, `reason` and `message`. The client switches
// on `__typename` and turns each answer into an outcome a user interface can show.
//
// Two styles of switch, both checked by `tsc --strict`:
// - exhaustive: every member of the union has a case and the default branch is `never`, so a new
//   member in the schema fails the build until it is handled (approveByEmail, blockByEmail,
//   the listing's member types, the registration status, the second factors);
// - payload first: the payloads and the errors a screen treats apart have cases, the default
//   branch takes "any other error". It only compiles while every remaining member is an error
//   (has `code`), so a new payload type in the union fails the build too (register, login).
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";

import {
  ApproveByEmailDocument,
  BlockByEmailDocument,
  CurrentMemberDocument,
  LoginDocument,
  MembersPageDocument,
  RegisterDocument,
  type ErrorReason,
  type MemberFieldsFragment,
  type MemberStatus,
  type RegistrationOptions,
  type SecondFactor,
} from "./gql/graphql.js";

export type Member = MemberFieldsFragment;

/** What every error type of the schema carries (`... on Error`); `retryAfter` (seconds) when retrying helps. */
export type ServerError = {
  code: number;
  reason: ErrorReason;
  message: string;
  property: string | null;
  retryAfter: number | null;
};

type ErrorResult = {
  __typename: string;
  code: number;
  reason: ErrorReason;
  message: string;
  property: string | null;
  retryAfter?: number;
};

function serverError(result: ErrorResult): ServerError {
  const { code, reason, message, property } = result;
  return { code, reason, message, property, retryAfter: result.retryAfter ?? null };
}

export function assertNever(value: never): never {
  throw new Error(`unhandled value: ${JSON.stringify(value)}`);
}

/** Who calls: nobody (page code), a member (its session token) or the backend (an API key, server side only). */
export type Caller = { readonly sessionToken?: string; readonly apiKey?: string };

/** The request as a whole failed (a wrong API key, a malformed document, a refused field). */
export class GraphQLRequestError extends Error {
  constructor(
    message: string,
    readonly codes: readonly (number | undefined)[],
  ) {
    super(message);
    this.name = "GraphQLRequestError";
  }
}

type GraphQLResponse<TResult> = {
  data?: TResult | null;
  errors?: { message: string; extensions?: { code?: number; reason?: ErrorReason } }[];
};

// --- outcomes ---------------------------------------------------------------------------

export type RegisterOutcome =
  | { kind: "signedIn"; member: Member; sessionToken: string }
  | { kind: "awaitingApproval"; member: Member; approvalToken: string | null }
  | { kind: "confirmEmail"; member: Member }
  | { kind: "emailTaken"; error: ServerError }
  | { kind: "retryLater"; error: ServerError }
  | { kind: "invalid"; error: ServerError };

export type LoginOutcome =
  | { kind: "signedIn"; member: Member; sessionToken: string; expiresDate: string }
  | { kind: "secondFactor"; mfaToken: string; methods: SecondFactor[]; expiresDate: string }
  | { kind: "retryLater"; error: ServerError }
  | { kind: "notYet"; error: ServerError }
  | { kind: "refused"; error: ServerError };

export type ModerationOutcome =
  | { kind: "done"; member: Member }
  | { kind: "notFound"; error: ServerError }
  | { kind: "notAllowed"; error: ServerError }
  // A member acting through a role that requires MFA, from a session that has not proved a second factor.
  | { kind: "secondFactorRequired"; error: ServerError }
  | { kind: "emailNotConfirmed"; error: ServerError };

/** A member of the listing: the full record (backend, or the member itself) or the public profile. */
export type ListedMember =
  | { kind: "member"; id: string; nickname: string; loginEmail: string | null; status: MemberStatus }
  | { kind: "public"; id: string; nickname: string };

export type MembersPage = { members: ListedMember[]; endCursor: string | null; hasNextPage: boolean };

/** What a sign-in screen asks for, per second factor the member has. */
export function describeSecondFactor(factor: SecondFactor): string {
  switch (factor) {
    case "TOTP":
      return "the 6-digit code from your authenticator app";
    case "RECOVERY_CODE":
      return "one of your recovery codes";
    case "PASSKEY":
      return "your passkey";
    default:
      return assertNever(factor);
  }
}

// --- the client -------------------------------------------------------------------------

export class MembersClient {
  constructor(
    readonly url: string,
    readonly caller: Caller = {},
  ) {}

  /** The same server, another caller (e.g. the member just signed in). */
  as(caller: Caller): MembersClient {
    return new MembersClient(this.url, caller);
  }

  /** One operation over HTTP POST; request-level and field errors throw, the data is typed. */
  async execute<TResult, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
  ): Promise<TResult> {
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      Accept: "application/graphql-response+json, application/json;q=0.9",
    };
    if (this.caller.sessionToken !== undefined) headers["Authorization"] = `Bearer ${this.caller.sessionToken}`;
    if (this.caller.apiKey !== undefined) headers["X-Api-Key"] = this.caller.apiKey;
    const response = await fetch(this.url, {
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

  async register(email: string, password: string, options?: RegistrationOptions): Promise<RegisterOutcome> {
    const { register: result } = await this.execute(RegisterDocument, { email, password, options: options ?? null });
    switch (result.__typename) {
      case "RegisterPayload":
        switch (result.status) {
          case "ACTIVE":
            if (result.sessionToken === null) throw new Error("an ACTIVE registration without a session token");
            return { kind: "signedIn", member: result.member, sessionToken: result.sessionToken };
          case "PENDING":
            return { kind: "awaitingApproval", member: result.member, approvalToken: result.approvalToken };
          case "EMAIL_CONFIRMATION_PENDING":
            return { kind: "confirmEmail", member: result.member };
          default:
            return assertNever(result.status);
        }
      case "IdentityTakenError":
        return { kind: "emailTaken", error: serverError(result) };
      case "RateLimitedError":
        return { kind: "retryLater", error: serverError(result) };
      default:
        // Any other error: the password policy, a bad email, a missing property, registration closed.
        return { kind: "invalid", error: serverError(result) };
    }
  }

  async login(identity: string, password: string, stayLoggedIn = false): Promise<LoginOutcome> {
    const { login: result } = await this.execute(LoginDocument, { identity, password, stayLoggedIn });
    switch (result.__typename) {
      case "LoginPayload":
        return {
          kind: "signedIn",
          member: result.member,
          sessionToken: result.sessionToken,
          expiresDate: result.session.expiresDate,
        };
      case "MfaRequired":
        // Ask for one of `methods` (describeSecondFactor), then send it with verifyMfa(mfaToken, …).
        return { kind: "secondFactor", mfaToken: result.mfaToken, methods: result.methods, expiresDate: result.expiresDate };
      case "AccountLockedError":
      case "RateLimitedError":
        return { kind: "retryLater", error: serverError(result) };
      case "PendingApprovalError":
      case "EmailNotConfirmedError":
        return { kind: "notYet", error: serverError(result) };
      default:
        // Wrong identity or password (alike), empty fields, login disabled, too many sessions.
        return { kind: "refused", error: serverError(result) };
    }
  }

  /** The signed-in member (a member caller), or null (anonymous, or the session ended). */
  async currentMember(): Promise<Member | null> {
    return (await this.execute(CurrentMemberDocument, {})).currentMember;
  }

  /** One page of the listing, `first` members after `after` (the previous page's endCursor). */
  async membersPage(first: number, after: string | null = null): Promise<MembersPage> {
    const { members } = await this.execute(MembersPageDocument, { first, after });
    if (members === null) throw new Error("the listing was refused"); // with an error, which execute throws first
    return {
      members: members.edges.map(({ node }): ListedMember => {
        switch (node.__typename) {
          case "Member":
            return {
              kind: "member",
              id: node.id,
              nickname: node.profile.nickname,
              loginEmail: node.loginEmail,
              status: node.status,
            };
          case "PublicMember":
            return { kind: "public", id: node.id, nickname: node.profile.nickname };
          default:
            return assertNever(node);
        }
      }),
      endCursor: members.pageInfo.endCursor,
      hasNextPage: members.pageInfo.hasNextPage,
    };
  }

  /** Every member, page after page, following the cursors. */
  async *allMembers(pageSize = 50): AsyncGenerator<ListedMember> {
    let after: string | null = null;
    for (;;) {
      const page: MembersPage = await this.membersPage(pageSize, after);
      yield* page.members;
      if (!page.hasNextPage || page.endCursor === null) return;
      after = page.endCursor;
    }
  }

  /** Backend only: approve a pending member by login email. */
  async approveByEmail(email: string): Promise<ModerationOutcome> {
    const { approveByEmail: result } = await this.execute(ApproveByEmailDocument, { email });
    switch (result.__typename) {
      case "ApproveByEmailPayload":
        return { kind: "done", member: result.member };
      case "MemberNotFoundError":
        return { kind: "notFound", error: serverError(result) };
      case "NotAllowedError":
        return { kind: "notAllowed", error: serverError(result) };
      case "MfaRequiredError":
        return { kind: "secondFactorRequired", error: serverError(result) };
      case "EmailNotConfirmedError":
        return { kind: "emailNotConfirmed", error: serverError(result) };
      default:
        return assertNever(result);
    }
  }

  /** Backend only: block a member by login email (its sessions end at once). */
  async blockByEmail(email: string): Promise<ModerationOutcome> {
    const { blockByEmail: result } = await this.execute(BlockByEmailDocument, { email });
    switch (result.__typename) {
      case "BlockByEmailPayload":
        return { kind: "done", member: result.member };
      case "MemberNotFoundError":
        return { kind: "notFound", error: serverError(result) };
      case "NotAllowedError":
        return { kind: "notAllowed", error: serverError(result) };
      case "MfaRequiredError":
        return { kind: "secondFactorRequired", error: serverError(result) };
      default:
        return assertNever(result);
    }
  }
}
