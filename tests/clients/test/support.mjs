// Shared by the Node tests: the server under test (from the environment the pytest module
// sets), the operation documents of operations/ (the very ones GraphQL Code Generator types),
// and Apollo Client set up as docs/api.md's "Client setup" section shows.
import { createHash, randomUUID } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from "@apollo/client";
import { relayStylePagination } from "@apollo/client/utilities";
import { Kind, parse, print, visit } from "graphql";

export const GRAPHQL_URL = requiredEnv("MEMBERS_GRAPHQL_URL"); // http://127.0.0.1:<port>/graphql
export const API_KEY = requiredEnv("MEMBERS_API_KEY");
export const WS_URL = GRAPHQL_URL.replace(/^http/, "ws");

function requiredEnv(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run these tests through tests/clients/test_clients.py`);
  return value;
}

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

/** The shipped fragment matcher, next to schema.graphql. */
export const possibleTypes = JSON.parse(readFileSync(here("../../../possibleTypes.json"), "utf8"));

// --- Operation documents ----------------------------------------------------------------

const operationsDir = here("../operations/");
const definitions = readdirSync(operationsDir)
  .filter((name) => name.endsWith(".graphql"))
  .sort()
  .flatMap((name) => parse(readFileSync(operationsDir + name, "utf8")).definitions);

/** The operation `name` of operations/*.graphql with the fragments it uses, as one document. */
export function operation(name) {
  const op = definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION && d.name?.value === name);
  if (!op) throw new Error(`no operation ${name} in operations/`);
  const fragments = new Map();
  const pending = [op];
  while (pending.length) {
    visit(pending.pop(), {
      FragmentSpread(node) {
        const fragmentName = node.name.value;
        if (fragments.has(fragmentName)) return;
        const fragment = definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === fragmentName);
        if (!fragment) throw new Error(`no fragment ${fragmentName} in operations/`);
        fragments.set(fragmentName, fragment);
        pending.push(fragment);
      },
    });
  }
  return { kind: Kind.DOCUMENT, definitions: [op, ...fragments.values()] };
}

// --- Apollo Client ------------------------------------------------------------------------

/** The cache of docs/api.md's "Client setup"; `possibleTypes: false` leaves the fragment matcher out. */
export function makeCache({ withPossibleTypes = true } = {}) {
  return new InMemoryCache({
    ...(withPossibleTypes ? { possibleTypes } : {}),
    typePolicies: {
      Profile: { merge: true },
      Query: {
        fields: {
          members: relayStylePagination(["filter", "sort"]),
          memberEvents: relayStylePagination(["memberId"]),
        },
      },
    },
  });
}

/**
 * A fetch that records every request it sends and what came back: method, URL, parsed body,
 * the answer's status and parsed JSON body.
 */
export function recordingFetch() {
  const requests = [];
  const fetchFn = async (input, init = {}) => {
    const response = await fetch(input, init);
    requests.push({
      method: (init.method ?? "GET").toUpperCase(),
      url: new URL(String(input)),
      body: typeof init.body === "string" ? JSON.parse(init.body) : null,
      status: response.status,
      answer: await response.clone().json(),
    });
    return response;
  };
  return { fetch: fetchFn, requests };
}

/**
 * An Apollo client for one caller: `{}` anonymous, `{ apiKey }` the backend, `{ sessionToken }` a
 * member. Per-operation headers still go through `context: { headers }`.
 */
export function makeClient({ caller = {}, cache = makeCache(), links = [], fetch: fetchFn = fetch } = {}) {
  const headers = {};
  if (caller.apiKey) headers["X-Api-Key"] = caller.apiKey;
  if (caller.sessionToken) headers.Authorization = `Bearer ${caller.sessionToken}`;
  const http = new HttpLink({ uri: GRAPHQL_URL, headers, fetch: fetchFn });
  return new ApolloClient({ link: ApolloLink.from([...links, http]), cache });
}

export const backend = () => makeClient({ caller: { apiKey: API_KEY } });

// --- Plain HTTP, for checking the server side -------------------------------------------------

export const sha256 = (text) => createHash("sha256").update(text, "utf8").digest("hex");

export async function post(query, variables = {}, headers = {}) {
  const response = await fetch(GRAPHQL_URL, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", ...headers },
    body: JSON.stringify({ query: typeof query === "string" ? query : print(query), variables }),
  });
  const body = await response.json();
  if (response.status !== 200 || body.errors) {
    throw new Error(`HTTP ${response.status}: ${JSON.stringify(body)}`);
  }
  return body.data;
}

export const unique = (label) => `${label}-${randomUUID().slice(0, 8)}`;
export const PASSWORD = "correct horse battery";

/** Registers a PUBLIC member (anonymously, automatic approval): its id, email, token and nickname. */
export async function registerMember(client, { firstName = unique("Nick"), email = `${unique("m")}@example.com` } = {}) {
  const { data } = await client.mutate({
    mutation: operation("Register"),
    variables: { email, password: PASSWORD, options: { privacyStatus: "PUBLIC", contactInfo: { firstName } } },
  });
  const result = data.register;
  if (result.__typename !== "RegisterPayload") throw new Error(`register failed: ${JSON.stringify(result)}`);
  return { id: result.member.id, email, sessionToken: result.sessionToken, nickname: result.member.profile.nickname, result };
}

/**
 * Values pushed by a callback (a subscription's `next`), and a way to wait, with a deadline,
 * for the first one that passes a check.
 */
export class Inbox {
  constructor() {
    this.items = [];
    this.waiters = new Set();
  }

  push = (item) => {
    this.items.push(item);
    for (const waiter of this.waiters) waiter();
  };

  /** The first item (already here or still to come) for which `check` is true. */
  waitFor(check, { timeoutMs = 10_000, what = "a matching item" } = {}) {
    return new Promise((resolve, reject) => {
      const look = () => {
        const found = this.items.find(check);
        if (found === undefined) return false;
        clearTimeout(timer);
        this.waiters.delete(look);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(look);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${JSON.stringify(this.items)}`));
      }, timeoutMs);
      if (!look()) this.waiters.add(look);
    });
  }
}
