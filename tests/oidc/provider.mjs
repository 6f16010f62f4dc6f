// A real OpenID Provider (node-oidc-provider) for the external sign-in tests.
//
// Configured by one JSON document in OIDC_TEST_CONFIG:
//   { "port": 0, "kid": "key-1",
//     "clients": [{ "client_id": "...", "client_secret": "...", "redirect_uris": ["..."] }],
//     "accounts": { "<sub>": { "email": "...", "email_verified": true, "name": "..." } } }
// It listens on 127.0.0.1 (port 0: a free one), signs ID tokens with a fresh RSA key under
// "kid", and prints one line of JSON, {"issuer": ..., "port": ...}, once it accepts requests.
// The login and consent pages are oidc-provider's devInteractions: any account id from
// "accounts" with any password signs in.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(process.env.OIDC_TEST_CONFIG ?? '{}');
const accounts = config.accounts ?? {};

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: config.kid ?? 'key-1', alg: 'RS256', use: 'sig' };

const server = createServer();
server.listen(config.port ?? 0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: (config.clients ?? []).map((client) => ({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      ...client,
    })),
    jwks: { keys: [signingKey] },
    cookies: { keys: ['members-oidc-test-cookie-key'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'company', 'team'] },
    // The ID token carries the scopes' claims too (the server also reads userinfo when it lacks them).
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    async findAccount(ctx, sub) {
      const account = accounts[sub];
      if (!account) return undefined;
      return { accountId: sub, async claims() { return { sub, ...account }; } };
    },
  });
  provider.on('server_error', (ctx, error) => console.error('server_error', error));
  server.on('request', provider.callback());
  console.log(JSON.stringify({ issuer, port }));
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
