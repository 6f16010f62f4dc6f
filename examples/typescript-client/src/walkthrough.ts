// The main flows with the typed client, against a running server with manual approval
// (MEMBERS_APPROVAL=MANUAL): a visitor registers and waits, the backend approves by email, the
// member signs in and reads itself, the backend pages through the listing and blocks the member.
// Each step prints one line and throws when the server answers something else.
//
//   MEMBERS_GRAPHQL_URL=http://127.0.0.1:8000/graphql MEMBERS_API_KEY=<the backend key> npm run walkthrough
import { randomUUID } from "node:crypto";

import { MembersClient, describeSecondFactor, type LoginOutcome } from "./client.js";

function expect(condition: boolean, what: string, got: unknown): void {
  if (!condition) throw new Error(`${what}; got ${JSON.stringify(got)}`);
}

function step(name: string, detail: string): void {
  console.log(`${name}: ${detail}`);
}

function describeLogin(outcome: LoginOutcome): string {
  switch (outcome.kind) {
    case "signedIn":
      return `signed in until ${outcome.expiresDate}`;
    case "secondFactor":
      return `asks for ${outcome.methods.map(describeSecondFactor).join(" or ")}`;
    case "retryLater":
      return `retry in ${outcome.error.retryAfter ?? "?"} s (${outcome.error.reason})`;
    case "notYet":
    case "refused":
      return `${outcome.kind} (${outcome.error.reason}): ${outcome.error.message}`;
  }
}

async function main(): Promise<void> {
  const url = process.env["MEMBERS_GRAPHQL_URL"] ?? "http://127.0.0.1:8000/graphql";
  const apiKey = process.env["MEMBERS_API_KEY"];
  if (!apiKey) throw new Error("set MEMBERS_API_KEY to the backend API key the server printed");
  const visitor = new MembersClient(url);
  const backend = visitor.as({ apiKey });
  const email = `ts-${randomUUID().slice(0, 8)}@example.com`;
  const password = "correct horse battery";

  const registered = await visitor.register(email, password, { privacyStatus: "PUBLIC" });
  expect(registered.kind === "awaitingApproval", "register (manual approval) waits for approval", registered);
  step("register", `${email}: ${registered.kind}`);

  const early = await visitor.login(email, password);
  expect(early.kind === "notYet" && early.error.reason === "PENDING_APPROVAL", "login before approval", early);
  step("login", describeLogin(early));

  const approved = await backend.approveByEmail(email);
  if (approved.kind !== "done") throw new Error(`approveByEmail: ${approved.kind} (${approved.error.message})`);
  expect(approved.member.status === "APPROVED", "approveByEmail approves", approved);
  step("approveByEmail", `${email}: ${approved.kind}`);

  const login = await visitor.login(email, password);
  if (login.kind !== "signedIn") throw new Error(`login after approval: ${describeLogin(login)}`);
  step("login", describeLogin(login));

  const member = visitor.as({ sessionToken: login.sessionToken });
  const me = await member.currentMember();
  expect(me?.loginEmail === email, "currentMember is the member signed in", me);
  step("currentMember", `${me?.loginEmail} (${me?.status})`);

  // Two more visitors, so that the listing spans pages of two: page by page with the cursor, then
  // the same members again through allMembers.
  for (const other of ["a", "b"]) {
    const outcome = await visitor.register(`ts-${other}-${randomUUID().slice(0, 8)}@example.com`, password);
    expect(outcome.kind === "awaitingApproval", "another visitor registers", outcome);
  }
  const listed: string[] = [];
  let pages = 0;
  let after: string | null = null;
  do {
    const page = await backend.membersPage(2, after);
    pages += 1;
    listed.push(...page.members.map((m) => m.id));
    after = page.hasNextPage ? page.endCursor : null;
  } while (after !== null);
  const all: string[] = [];
  for await (const m of backend.allMembers(2)) all.push(m.id);
  expect(pages >= 2 && listed.length >= 3, "the listing spans pages", { pages, listed });
  expect(JSON.stringify(all) === JSON.stringify(listed), "allMembers follows the same cursors", { all, listed });
  expect(listed.includes(approved.member.id), "the listing holds the member", listed);
  step("members", `${listed.length} members on ${pages} pages of 2`);

  const blocked = await backend.blockByEmail(email);
  expect(blocked.kind === "done" && blocked.member.status === "BLOCKED", "blockByEmail", blocked);
  expect((await member.currentMember()) === null, "the blocked member's session has ended", null);
  step("blockByEmail", `${email}: ${blocked.kind}, its session ended`);

  const refused = await visitor.login(email, password);
  expect(refused.kind === "refused", "login when blocked", refused);
  step("login", describeLogin(refused));

  const nobody = await backend.approveByEmail(`nobody-${randomUUID().slice(0, 8)}@example.com`);
  expect(nobody.kind === "notFound", "approveByEmail of an unknown email", nobody);
  step("approveByEmail", `unknown email: ${nobody.kind}`);

  console.log("walkthrough: ok");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
