// Apollo Client 4 against the real server, with the cache docs/api.md's "Client setup" shows
// (possibleTypes.json, Profile merged, relayStylePagination for both listings).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { parse } from "graphql";

import {
  API_KEY,
  Inbox,
  PASSWORD,
  backend,
  makeCache,
  makeClient,
  operation,
  post,
  recordingFetch,
  registerMember,
  unique,
} from "./support.mjs";

const anonymous = makeClient();

describe("the flows of a page and of the backend", () => {
  test("register (anonymous), login, currentMember, errors by concrete type, password reset", async () => {
    const email = `${unique("ada")}@example.com`;
    const registered = await registerMember(anonymous, { email, firstName: "Ada" });
    assert.equal(registered.result.status, "ACTIVE");
    assert.equal(registered.result.approvalToken, null, "an anonymous registration never gets the approval token");
    assert.equal(registered.result.member.__typename, "Member");
    assert.equal(registered.result.member.loginEmail, email);
    assert.equal(registered.result.member.status, "APPROVED");
    assert.equal(registered.result.member.contact.__typename, "Contact");
    assert.ok(registered.sessionToken);

    const login = (await anonymous.mutate({ mutation: operation("Login"), variables: { identity: email, password: PASSWORD } }))
      .data.login;
    assert.equal(login.__typename, "LoginPayload");
    assert.equal(login.member.id, registered.id);

    const member = makeClient({ caller: { sessionToken: login.sessionToken } });
    const { data } = await member.query({ query: operation("CurrentMember") });
    assert.equal(data.currentMember.id, registered.id);
    assert.equal(data.currentMember.loginEmail, email);
    assert.equal(data.currentMember.profile.nickname, "Ada");
    assert.equal((await anonymous.query({ query: operation("CurrentMember") })).data.currentMember, null);

    // A wrong password: InvalidCredentialsError, selected by its concrete type.
    const refused = (
      await anonymous.mutate({ mutation: operation("Login"), variables: { identity: email, password: "wrong password" } })
    ).data.login;
    assert.deepEqual(
      { typename: refused.__typename, code: refused.code, reason: refused.reason },
      { typename: "InvalidCredentialsError", code: 3003, reason: "INVALID_CREDENTIALS" },
    );
    assert.equal(typeof refused.message, "string");

    const reset = (await anonymous.mutate({ mutation: operation("RequestPasswordReset"), variables: { email } })).data
      .requestPasswordReset;
    assert.deepEqual(reset, { __typename: "RequestPasswordResetPayload", email });
  });

  test("an error through `... on Error` is read back from the cache only with possibleTypes", async () => {
    const owner = await registerMember(anonymous);
    const other = await registerMember(anonymous);
    const variables = { id: owner.id, input: { slug: other.result.member.profile.slug } };
    const expected = {
      __typename: "SlugTakenError",
      code: 3205,
      reason: "SLUG_TAKEN",
      message: `The slug "${other.result.member.profile.slug}" is taken.`,
      property: "slug",
    };

    const answers = {};
    for (const withPossibleTypes of [true, false]) {
      const wire = recordingFetch();
      const client = makeClient({
        caller: { sessionToken: owner.sessionToken },
        cache: makeCache({ withPossibleTypes }),
        fetch: wire.fetch,
      });
      // keepRootFields: the mutation's answer stays in the cache under ROOT_MUTATION to be read again.
      const { data } = await client.mutate({ mutation: operation("UpdateMember"), variables, keepRootFields: true });
      assert.equal(wire.requests.length, 1);
      // The server sends every field either way...
      assert.deepEqual(wire.requests[0].answer.data.updateMember, expected);
      // ...and Apollo answers with what its cache kept of it.
      const [cached] = Object.entries(client.cache.extract().ROOT_MUTATION)
        .filter(([key]) => key.startsWith("updateMember("))
        .map(([, value]) => value);
      answers[withPossibleTypes ? "with" : "without"] = { data: data.updateMember, cached };
    }

    assert.deepEqual(answers.with.data, expected, "with possibleTypes the error's fields are read from the cache");
    assert.deepEqual(answers.with.cached, expected);
    // Without the fragment matcher `... on Error` never matches SlugTakenError: the fields the
    // server sent are silently dropped, only __typename survives.
    assert.deepEqual(answers.without.data, { __typename: "SlugTakenError" });
    assert.deepEqual(answers.without.cached, { __typename: "SlugTakenError" });
  });

  test("fetchMore over two pages of members, merged by relayStylePagination", async () => {
    const prefix = unique("Page").replace("-", "");
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await registerMember(anonymous, { firstName: `${prefix}${i}` })).id);
    const variables = {
      first: 2,
      filter: { nicknamePrefix: prefix },
      sort: { field: "CREATED_DATE", order: "ASC" },
    };
    const query = operation("Members");

    const client = backend();
    const watched = client.watchQuery({ query, variables });
    const results = new Inbox();
    const subscription = watched.subscribe(results.push);
    try {
      const first = await client.query({ query, variables });
      assert.deepEqual(
        first.data.members.edges.map((edge) => edge.node.id),
        ids.slice(0, 2),
      );
      assert.equal(first.data.members.pageInfo.hasNextPage, true);

      const more = await watched.fetchMore({ variables: { after: first.data.members.pageInfo.endCursor } });
      assert.deepEqual(
        more.data.members.edges.map((edge) => edge.node.id),
        ids.slice(2, 4),
        "fetchMore's own result is the second page",
      );

      // The cached field holds both pages, in order, as one list; pageInfo spans both.
      const merged = client.readQuery({ query, variables }).members;
      assert.deepEqual(
        merged.edges.map((edge) => edge.node.id),
        ids.slice(0, 4),
      );
      assert.ok(merged.edges.every((edge) => edge.node.__typename === "Member" && edge.node.loginEmail));
      assert.equal(merged.pageInfo.hasNextPage, true, "a fifth member is left");
      assert.equal(merged.pageInfo.startCursor, first.data.members.pageInfo.startCursor);
      assert.equal(merged.pageInfo.endCursor, more.data.members.pageInfo.endCursor);
      // The watching component sees the merged list too.
      const ids4 = JSON.stringify(ids.slice(0, 4));
      await results.waitFor((result) => JSON.stringify(result.data?.members?.edges.map((edge) => edge.node.id)) === ids4, {
        what: "the watched query to show both pages",
      });

      // The same listing over plain HTTP, in one page of four, agrees.
      const direct = await post(query, { ...variables, first: 4 }, { "X-Api-Key": API_KEY });
      assert.deepEqual(
        direct.members.edges.map((edge) => edge.node.id),
        ids.slice(0, 4),
      );
    } finally {
      subscription.unsubscribe();
    }

    // An anonymous page lists the same PUBLIC members as PublicMember: no Member fields.
    const listed = (await anonymous.query({ query, variables: { ...variables, first: 5 } })).data.members.edges;
    assert.deepEqual(
      listed.map((edge) => edge.node.id),
      ids,
    );
    for (const { node } of listed) {
      assert.equal(node.__typename, "PublicMember");
      assert.equal("loginEmail" in node, false);
      assert.ok(node.profile.nickname.startsWith(prefix));
    }
  });

  test("one member as PublicMember (anonymous) and as Member (backend) in one cache, without collision", async () => {
    const registered = await registerMember(anonymous);
    const cache = makeCache();
    const client = makeClient({ cache }); // anonymous; the backend's requests add the key per operation
    const asBackend = { headers: { "X-Api-Key": API_KEY } };
    const query = operation("MemberById");
    const variables = { id: registered.id };

    const seen = [];
    for (const context of [undefined, asBackend, undefined]) {
      const { data } = await client.query({ query, variables, context, fetchPolicy: "network-only" });
      seen.push(data.member);
    }
    assert.deepEqual(
      seen.map((member) => member.__typename),
      ["PublicMember", "Member", "PublicMember"],
    );
    assert.equal("loginEmail" in seen[0], false);
    assert.equal(seen[1].loginEmail, registered.email);

    const store = cache.extract();
    const publicKey = cache.identify({ __typename: "PublicMember", id: registered.id });
    const fullKey = cache.identify({ __typename: "Member", id: registered.id });
    assert.notEqual(publicKey, fullKey);
    assert.deepEqual(Object.keys(store[publicKey]).sort(), ["__typename", "id", "profile"]);
    // The anonymous answer that came after the backend's did not blank the full record.
    assert.equal(store[fullKey].loginEmail, registered.email);
    assert.equal(store[fullKey].status, "APPROVED");
    assert.deepEqual(store[fullKey].profile, store[publicKey].profile);
    const fragment = cache.readFragment({ id: fullKey, fragment: parse("fragment Seen on Member { id loginEmail status }") });
    assert.deepEqual(fragment, { __typename: "Member", id: registered.id, loginEmail: registered.email, status: "APPROVED" });
  });

  test("updateMember, approveMember, blockMember and memberEvents paged with fetchMore", async () => {
    const admin = backend();
    const setApproval = (approval) =>
      admin.mutate({ mutation: operation("SetApproval"), variables: { approval } }).then(({ data }) => {
        assert.equal(data.updateRegistrationSettings.__typename, "UpdateRegistrationSettingsPayload");
        assert.equal(data.updateRegistrationSettings.settings.approval, approval);
      });

    await setApproval("MANUAL");
    let pending;
    try {
      pending = await registerMember(anonymous);
    } finally {
      await setApproval("AUTOMATIC");
    }
    assert.equal(pending.result.status, "PENDING");
    assert.equal(pending.sessionToken, null);
    assert.equal(pending.result.approvalToken, null);

    const login = async () =>
      (await anonymous.mutate({ mutation: operation("Login"), variables: { identity: pending.email, password: PASSWORD } }))
        .data.login;
    const notYet = await login();
    assert.deepEqual(
      [notYet.__typename, notYet.code, notYet.reason],
      ["PendingApprovalError", 3204, "PENDING_APPROVAL"],
      "an error type the operation does not name, read through ... on Error",
    );

    // Anonymous callers may not approve: NotAllowedError through the interface.
    const denied = (await anonymous.mutate({ mutation: operation("ApproveMember"), variables: { id: pending.id } })).data
      .approveMember;
    assert.deepEqual([denied.__typename, denied.reason], ["NotAllowedError", "NOT_ALLOWED"]);

    const approved = (await admin.mutate({ mutation: operation("ApproveMember"), variables: { id: pending.id } })).data
      .approveMember;
    assert.deepEqual(approved, { __typename: "ApproveMemberPayload", member: { __typename: "Member", id: pending.id, status: "APPROVED" } });

    const session = await login();
    assert.equal(session.__typename, "LoginPayload");
    const member = makeClient({ caller: { sessionToken: session.sessionToken } });
    await member.query({ query: operation("CurrentMember") });

    const updated = (
      await member.mutate({
        mutation: operation("UpdateMember"),
        variables: { id: pending.id, input: { nickname: "Renamed", title: "Countess" } },
      })
    ).data.updateMember;
    assert.equal(updated.__typename, "UpdateMemberPayload");
    assert.deepEqual([updated.member.profile.nickname, updated.member.profile.title], ["Renamed", "Countess"]);
    // The payload's member updated the cached currentMember in place (same Member:<id>, Profile merged).
    const current = member.readQuery({ query: operation("CurrentMember") }).currentMember;
    assert.deepEqual([current.profile.nickname, current.profile.title], ["Renamed", "Countess"]);

    const blocked = (await admin.mutate({ mutation: operation("BlockMember"), variables: { id: pending.id } })).data.blockMember;
    assert.deepEqual(blocked, { __typename: "BlockMemberPayload", member: { __typename: "Member", id: pending.id, status: "BLOCKED" } });
    const missing = (
      await admin.mutate({ mutation: operation("BlockMember"), variables: { id: "00000000-0000-4000-8000-000000000000" } })
    ).data.blockMember;
    assert.deepEqual([missing.__typename, missing.code, missing.reason], ["MemberNotFoundError", 3030, "MEMBER_NOT_FOUND"]);
    const refused = await login();
    assert.deepEqual([refused.__typename, refused.code, refused.reason], ["LoginDisabledError", 3000, "LOGIN_DISABLED"]);

    // The audit trail, two events a page, merged by relayStylePagination(["memberId"]).
    const query = operation("MemberEvents");
    const variables = { memberId: pending.id, first: 2 };
    const watched = admin.watchQuery({ query, variables });
    const subscription = watched.subscribe(() => {});
    try {
      const first = await admin.query({ query, variables });
      assert.equal(first.data.memberEvents.edges.length, 2);
      assert.equal(first.data.memberEvents.pageInfo.hasNextPage, true);
      await watched.fetchMore({ variables: { after: first.data.memberEvents.pageInfo.endCursor } });
      const events = admin.readQuery({ query, variables }).memberEvents.edges.map((edge) => edge.node);
      assert.deepEqual(
        events.map((event) => [event.kind, event.actor]),
        [
          ["REGISTERED", "ANONYMOUS"],
          ["APPROVED", "BACKEND"],
          ["PROFILE_UPDATED", "MEMBER"],
          ["BLOCKED", "BACKEND"],
        ],
      );
      assert.ok(events.every((event) => event.__typename === "MemberEvent" && event.memberId === pending.id));
    } finally {
      subscription.unsubscribe();
    }

    // Events are the backend's: a member's request is refused (the field is null, with a code).
    const wire = recordingFetch();
    const nosy = makeClient({ caller: { sessionToken: session.sessionToken }, fetch: wire.fetch });
    await assert.rejects(nosy.query({ query, variables }));
    assert.equal(wire.requests.at(-1).answer.data.memberEvents, null);
    assert.equal(wire.requests.at(-1).answer.errors[0].extensions.code, 3029);
  });
});
