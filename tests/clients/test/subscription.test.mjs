// A graphql-ws subscription (protocol graphql-transport-ws) to member events, at the same URL
// as HTTP. The contract:
//   connectionParams {"X-Api-Key": "<key>"} (backend) or {"Authorization": "Bearer <token>"};
//   subscription ($memberId: ID, $kinds: [MemberEventKind!]) { memberEvents(memberId: $memberId, kinds: $kinds) { … } }
//   delivers each audit event as it is committed; callers without the right to read events are refused.
//
// The document is typed by hand here, not by GraphQL Code Generator: codegen validates every
// document against schema.graphql, and this one would fail it until the schema has a
// Subscription type.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";

import { createClient } from "graphql-ws";
import WebSocket from "ws";

import { API_KEY, Inbox, WS_URL, operation, post, registerMember, makeClient, unique } from "./support.mjs";

const MEMBER_EVENTS = /* GraphQL */ `
  subscription MemberEvents($memberId: ID, $kinds: [MemberEventKind!]) {
    memberEvents(memberId: $memberId, kinds: $kinds) { id memberId kind actor createdDate }
  }
`;

const clients = [];
after(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
});

function wsClient(connectionParams) {
  const client = createClient({
    url: WS_URL,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    shouldRetry: () => false,
  });
  clients.push(client);
  return client;
}

function describeEnd(error) {
  if (error && typeof error === "object" && "code" in error && "reason" in error) {
    return `connection closed: ${error.code} ${error.reason}`; // a CloseEvent
  }
  if (Array.isArray(error)) return `error message: ${JSON.stringify(error)}`; // GraphQL errors
  return `error: ${error?.message ?? String(error)}`;
}

/** One subscription's results as they arrive; an error or completion ends it. */
function subscribe(client, variables = {}) {
  const inbox = new Inbox();
  const stop = client.subscribe(
    { query: MEMBER_EVENTS, variables },
    {
      next: (result) => inbox.push(result),
      error: (error) => inbox.push({ ended: describeEnd(error) }),
      complete: () => inbox.push({ ended: "completed" }),
    },
  );
  const events = () => inbox.items.filter((item) => item.data?.memberEvents).map((item) => item.data.memberEvents);
  return {
    inbox,
    stop,
    events,
    /** The first event passing `check`; rejects at once if the subscription ends or errs. */
    async event(check, { what = "an event", timeoutMs = 10_000 } = {}) {
      const item = await inbox.waitFor((entry) => entry.ended || entry.errors || (entry.data?.memberEvents && check(entry.data.memberEvents)), {
        timeoutMs,
        what,
      });
      if (item.ended || item.errors) throw new Error(`the subscription ended waiting for ${what}: ${item.ended ?? JSON.stringify(item.errors)}`);
      return item.data.memberEvents;
    },
  };
}

/**
 * No message says that a subscription is listening: cause `probe()` events until one arrives,
 * each given a second, all within the deadline. Returns the event that arrived.
 */
async function untilLive(subscription, probe, isProbeEvent, { deadlineMs = 20_000 } = {}) {
  const deadline = Date.now() + deadlineMs;
  let lastError;
  while (Date.now() < deadline) {
    const marker = await probe();
    try {
      return await subscription.event((event) => isProbeEvent(event, marker), { what: "a probe event", timeoutMs: 1_000 });
    } catch (error) {
      lastError = error;
      if (/the subscription ended/.test(error.message)) throw error;
    }
  }
  throw new Error(`the subscription never delivered a probe event within ${deadlineMs} ms: ${lastError?.message}`);
}

const anonymous = makeClient();
const adminHttp = { "X-Api-Key": API_KEY };
const backendCall = (name, variables) => post(operation(name), variables, adminHttp);
const eventsOf = async (memberId) =>
  (await backendCall("MemberEvents", { memberId, first: 100 })).memberEvents.edges.map(({ node }) => node);
const pick = ({ id, memberId, kind, actor, createdDate }) => ({ id, memberId, kind, actor, createdDate });

describe("graphql-ws subscription to memberEvents", () => {
  test("the backend receives every event as it is committed, the same as the audit trail", async () => {
    const all = subscribe(wsClient({ "X-Api-Key": API_KEY }));
    await untilLive(
      all,
      async () => (await registerMember(anonymous, { firstName: unique("Probe") })).id,
      (event, probeId) => event.memberId === probeId && event.kind === "REGISTERED",
    );

    await backendCall("SetApproval", { approval: "MANUAL" });
    let member;
    try {
      member = await registerMember(anonymous);
    } finally {
      await backendCall("SetApproval", { approval: "AUTOMATIC" });
    }
    const registered = await all.event((e) => e.memberId === member.id && e.kind === "REGISTERED", { what: "REGISTERED" });
    assert.equal(registered.actor, "ANONYMOUS");

    assert.equal((await backendCall("ApproveMember", { id: member.id })).approveMember.__typename, "ApproveMemberPayload");
    const approved = await all.event((e) => e.memberId === member.id && e.kind === "APPROVED", { what: "APPROVED" });
    assert.equal(approved.actor, "BACKEND");

    assert.equal((await backendCall("BlockMember", { id: member.id })).blockMember.__typename, "BlockMemberPayload");
    await all.event((e) => e.memberId === member.id && e.kind === "BLOCKED", { what: "BLOCKED" });

    // Exactly the audit trail's events, in its order, once each.
    const delivered = all.events().filter((event) => event.memberId === member.id);
    assert.deepEqual(delivered.map(pick), (await eventsOf(member.id)).map(pick));
    assert.deepEqual(
      delivered.map((event) => event.kind),
      ["REGISTERED", "APPROVED", "BLOCKED"],
    );
    all.stop();
  });

  test("memberId and kinds filter what a subscription receives", async () => {
    const watched = await registerMember(anonymous);
    const other = await registerMember(anonymous);
    const admin = wsClient({ "X-Api-Key": API_KEY });
    const everything = subscribe(admin);
    const filtered = subscribe(admin, { memberId: watched.id, kinds: ["PROFILE_UPDATED", "BLOCKED"] });

    let probes = 0;
    const probe = async () => {
      const result = await backendCall("UpdateMember", { id: watched.id, input: { title: `probe-${++probes}` } });
      assert.equal(result.updateMember.__typename, "UpdateMemberPayload");
    };
    const isWatchedUpdate = (event) => event.memberId === watched.id && event.kind === "PROFILE_UPDATED";
    await untilLive(everything, probe, isWatchedUpdate);
    await untilLive(filtered, probe, isWatchedUpdate);
    // Wait for the last probe's event (by its id in the audit trail): nothing older can follow it.
    const drain = async () => {
      const lastId = (await eventsOf(watched.id)).at(-1).id;
      await filtered.event((event) => event.id === lastId, { what: `event ${lastId}` });
    };
    await drain();
    const start = filtered.events().length;

    // Another member's event reaches the unfiltered subscription only; of the watched member's
    // events, the filtered one receives the kinds it asked for (not UNBLOCKED).
    await backendCall("BlockMember", { id: other.id });
    await everything.event((e) => e.memberId === other.id && e.kind === "BLOCKED", { what: "the other member's BLOCKED" });
    await backendCall("BlockMember", { id: watched.id });
    await backendCall("UnblockMember", { id: watched.id });
    await probe();
    await drain();

    const received = filtered.events().slice(start);
    const trail = (await eventsOf(watched.id)).slice(-3);
    assert.deepEqual(
      trail.map((event) => event.kind),
      ["BLOCKED", "UNBLOCKED", "PROFILE_UPDATED"],
    );
    assert.deepEqual(
      received.map(pick),
      trail.filter((event) => event.kind !== "UNBLOCKED").map(pick),
    );
    await everything.event((e) => e.memberId === watched.id && e.kind === "UNBLOCKED", { what: "UNBLOCKED, unfiltered" });
    assert.ok(filtered.events().every((event) => event.memberId === watched.id && event.kind !== "REGISTERED"));
    everything.stop();
    filtered.stop();
  });

  test("callers without the right to read events are refused", async () => {
    const member = await registerMember(anonymous);
    const victim = await registerMember(anonymous);
    // The control: the backend may watch the same member (so what follows is refused for its
    // caller, not for want of subscriptions).
    const control = subscribe(wsClient({ "X-Api-Key": API_KEY }), { memberId: victim.id });
    await untilLive(
      control,
      () => backendCall("UpdateMember", { id: victim.id, input: { title: unique("probe") } }),
      (event) => event.memberId === victim.id && event.kind === "PROFILE_UPDATED",
    );
    control.stop();

    const callers = {
      anonymous: {},
      "a wrong API key": { "X-Api-Key": `${API_KEY}-wrong` },
      "a member watching another member": { Authorization: `Bearer ${member.sessionToken}` },
    };
    for (const [who, connectionParams] of Object.entries(callers)) {
      const subscription = subscribe(wsClient(connectionParams), { memberId: victim.id });
      // Refused: the subscription ends with an error (an error message, GraphQL errors, or a
      // closed connection), and delivers nothing before that — though the watched member's
      // events go on (one a second until the answer comes).
      const deadline = Date.now() + 15_000;
      let end;
      while (end === undefined && Date.now() < deadline) {
        await backendCall("UpdateMember", { id: victim.id, input: { title: unique("event") } });
        end = await subscription.inbox
          .waitFor((item) => item.ended || item.errors || item.data, { what: `the refusal of ${who}`, timeoutMs: 1_000 })
          .catch(() => undefined);
      }
      assert.ok(end, `${who} was neither refused nor sent anything within 15 s`);
      assert.equal(end.data?.memberEvents ?? null, null, `${who} received an event: ${JSON.stringify(end)}`);
      assert.ok(end.ended || end.errors?.length, `${who}: ${JSON.stringify(end)}`);
      subscription.stop();
    }
  });
});
