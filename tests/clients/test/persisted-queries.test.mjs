// Apollo's PersistedQueryLink (automatic persisted queries) against the real server, hashing
// with Node's crypto, queries over GET: the document goes over the wire once, then only its hash.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { Kind, visit } from "graphql";

import { API_KEY, GRAPHQL_URL, makeClient, operation, recordingFetch, registerMember, sha256, unique } from "./support.mjs";

/** An Apollo client whose link hashes documents, with a record of every request it sent. */
function persistedClient(caller = {}) {
  const wire = recordingFetch();
  const link = new PersistedQueryLink({ sha256, useGETForHashedQueries: true });
  return { client: makeClient({ caller, links: [link], fetch: wire.fetch }), requests: wire.requests };
}

/** The operation under a name of its own: a document this server has never stored. */
function fresh(name) {
  const suffix = unique("").replace(/-/g, "");
  return visit(operation(name), {
    OperationDefinition: (node) => ({ ...node, name: { kind: Kind.NAME, value: `${name}${suffix}` } }),
  });
}

const persistedQuery = (request) =>
  request.method === "GET"
    ? JSON.parse(request.url.searchParams.get("extensions") ?? "{}").persistedQuery
    : request.body?.extensions?.persistedQuery;
const sentDocument = (request) => (request.method === "GET" ? request.url.searchParams.get("query") : request.body?.query);

/** A hash-only GET, as any client may send it. */
async function getByHash(hash, variables) {
  const url = new URL(GRAPHQL_URL);
  url.searchParams.set("extensions", JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } }));
  url.searchParams.set("variables", JSON.stringify(variables));
  const response = await fetch(url, { headers: { Accept: "application/graphql-response+json", "X-Api-Key": API_KEY } });
  return { status: response.status, body: await response.json() };
}

describe("PersistedQueryLink", () => {
  test("the first call misses and sends the document; later calls, from any client, send the hash only", async () => {
    const member = await registerMember(makeClient());
    const query = fresh("MemberById");
    const variables = { id: member.id };

    // 1. The first query: a hash-only GET, PersistedQueryNotFound, then the document with its hash.
    const first = persistedClient({ apiKey: API_KEY });
    const answer = await first.client.query({ query, variables });
    assert.equal(answer.data.member.loginEmail, member.email);
    assert.equal(first.requests.length, 2, JSON.stringify(first.requests));
    const [miss, retry] = first.requests;
    assert.equal(miss.method, "GET");
    assert.equal(sentDocument(miss), null, "the first try sends no document");
    const hash = persistedQuery(miss).sha256Hash;
    assert.match(hash, /^[0-9a-f]{64}$/);
    assert.equal(miss.answer.errors[0].message, "PersistedQueryNotFound");
    assert.equal(miss.answer.errors[0].extensions.code, 3257);
    assert.equal(miss.status, 404, "404 under application/graphql-response+json, which Apollo Client 4 asks for");
    assert.equal(retry.method, "POST", "the document goes in a POST body");
    assert.ok(sentDocument(retry), "the retry carries the document");
    assert.equal(persistedQuery(retry).sha256Hash, hash);
    assert.equal(sha256(sentDocument(retry)), hash, "the hash is the SHA-256 of the document as sent");
    assert.equal(retry.status, 200);

    // 2. The same client again: the hash alone, over GET, answered with data.
    const again = await first.client.query({ query, variables, fetchPolicy: "network-only" });
    assert.equal(again.data.member.loginEmail, member.email);
    assert.equal(first.requests.length, 3);
    const hashOnly = first.requests[2];
    assert.deepEqual([hashOnly.method, sentDocument(hashOnly), persistedQuery(hashOnly).sha256Hash], ["GET", null, hash]);
    assert.equal(hashOnly.status, 200);

    // 3. The server kept the document, not the client: a second client, which never sent it,
    //    gets its answer from the hash alone, with other variables and another caller.
    const other = await registerMember(makeClient());
    const second = persistedClient();
    const seen = await second.client.query({ query, variables: { id: other.id } });
    assert.deepEqual(
      { typename: seen.data.member.__typename, id: seen.data.member.id },
      { typename: "PublicMember", id: other.id },
    );
    assert.equal(second.requests.length, 1, "no retry with the document");
    assert.deepEqual([second.requests[0].method, sentDocument(second.requests[0])], ["GET", null]);

    // 4. A plain hash-only GET runs it too; a hash nobody sent is not found.
    const plain = await getByHash(hash, { id: member.id });
    assert.equal(plain.status, 200);
    assert.equal(plain.body.data.member.loginEmail, member.email);
    const unknown = await getByHash(sha256(`query Never${unique("")} { __typename }`), {});
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.errors[0].extensions.code, 3257);
  });

  test("mutations are hashed too, but always POSTed", async () => {
    const mutation = fresh("RequestPasswordReset");
    const email = `${unique("reset")}@example.com`;
    const { client, requests } = persistedClient();

    for (let round = 0; round < 2; round++) {
      const { data } = await client.mutate({ mutation, variables: { email } });
      assert.deepEqual(data.requestPasswordReset, { __typename: "RequestPasswordResetPayload", email });
    }
    assert.deepEqual(
      requests.map((request) => [request.method, Boolean(sentDocument(request)), request.status]),
      [
        ["POST", false, 404], // hash only: not found
        ["POST", true, 200], // the document with its hash: run and stored
        ["POST", false, 200], // the hash alone now runs
      ],
    );
    assert.ok(requests.every((request) => persistedQuery(request).sha256Hash === persistedQuery(requests[0]).sha256Hash));
  });
});
