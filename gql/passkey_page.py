"""A bare page that runs the passkey ceremonies in a browser against this server: for development
and the end-to-end test (a real browser's WebAuthn, tests/e2e/test_passkeys_browser.py). Served
only when ``MEMBERS_ENV`` is ``development`` or ``test``; 404 otherwise.

It exposes ``registerPasskey(sessionToken, name)`` and ``signInWithPasskey(email)`` to the page's
script: each calls the GraphQL mutations, hands the options to ``navigator.credentials``
(base64url decoded) and sends back the credential as JSON (``PublicKeyCredential.toJSON()``'s shape).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

PASSKEY_PAGE_PATH = "/passkey-test"

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Passkey test page</title></head>
<body><h1>Passkey test page</h1><p>Development and test only.</p>
<script>
const fromB64 = (s) => Uint8Array.from(
  atob(s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4)), (c) => c.charCodeAt(0));
const toB64 = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
  .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
const descriptors = (list) => (list || []).map((c) => ({ ...c, id: fromB64(c.id) }));
async function gql(query, variables, token) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  const response = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return Object.values(body.data)[0];
}
const ERROR = "... on Error { code message }";
window.registerPasskey = async (token, name) => {
  const start = await gql(`mutation { startPasskeyRegistration { __typename
    ... on StartPasskeyRegistrationPayload { options } ${ERROR} } }`, {}, token);
  if (!start.options) return start;
  const o = JSON.parse(start.options);
  const publicKey = { ...o, challenge: fromB64(o.challenge), user: { ...o.user, id: fromB64(o.user.id) },
    excludeCredentials: descriptors(o.excludeCredentials) };
  const made = await navigator.credentials.create({ publicKey });
  const credential = { id: made.id, rawId: toB64(made.rawId), type: made.type,
    response: { clientDataJSON: toB64(made.response.clientDataJSON),
      attestationObject: toB64(made.response.attestationObject), transports: made.response.getTransports() },
    clientExtensionResults: made.getClientExtensionResults(), authenticatorAttachment: made.authenticatorAttachment };
  return gql(`mutation ($credential: String!, $name: String!) {
    finishPasskeyRegistration(credential: $credential, name: $name) { __typename
      ... on FinishPasskeyRegistrationPayload { passkey { id name } } ${ERROR} } }`,
    { credential: JSON.stringify(credential), name }, token);
};
window.signInWithPasskey = async (email) => {
  const start = await gql(`mutation ($email: String) { startPasskeyLogin(email: $email) { __typename
    ... on StartPasskeyLoginPayload { options challengeId } ${ERROR} } }`, { email });
  if (!start.options) return start;
  const o = JSON.parse(start.options);
  const publicKey = { ...o, challenge: fromB64(o.challenge), allowCredentials: descriptors(o.allowCredentials) };
  const got = await navigator.credentials.get({ publicKey });
  const credential = { id: got.id, rawId: toB64(got.rawId), type: got.type,
    response: { clientDataJSON: toB64(got.response.clientDataJSON),
      authenticatorData: toB64(got.response.authenticatorData), signature: toB64(got.response.signature),
      userHandle: got.response.userHandle ? toB64(got.response.userHandle) : null },
    clientExtensionResults: got.getClientExtensionResults(), authenticatorAttachment: got.authenticatorAttachment };
  return gql(`mutation ($challengeId: ID!, $credential: String!) {
    finishPasskeyLogin(challengeId: $challengeId, credential: $credential) { __typename
      ... on FinishPasskeyLoginPayload { sessionToken session { method secondFactor } member { loginEmail } }
      ${ERROR} } }`, { challengeId: start.challengeId, credential: JSON.stringify(credential) });
};
</script></body></html>
"""


async def passkey_test_page(request: Request) -> Response:
    if request.app.state.services.config.environment not in ("development", "test"):
        raise HTTPException(404)
    return HTMLResponse(_PAGE, headers={"Cache-Control": "no-store"})
