// A certified relying party (panva/openid-client 6) against the kukuruku sandbox identity provider.
//
//   node openid_client_rp.mjs <issuer> <client_id> <client_secret|-> <redirect_uri> <email>
//
// Code flow with PKCE (S256), state and nonce; the sandbox logs <email> in without a page
// (login_hint + prompt=none). Then userinfo and a refresh. Prints one JSON line with the results;
// exits non-zero on any failure.
import * as client from 'openid-client';

const [issuer, clientId, secret, redirectUri, email] = process.argv.slice(2);
const insecure = { execute: [client.allowInsecureRequests] }; // plain http on 127.0.0.1 only

try {
  const config = secret === '-'
    ? await client.discovery(new URL(issuer), clientId, undefined, client.None(), insecure)
    : await client.discovery(new URL(issuer), clientId, secret, client.ClientSecretBasic(secret), insecure);

  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid email profile',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    login_hint: email,
    prompt: 'none',
  });
  const answer = await fetch(url, { redirect: 'manual' });
  const location = answer.headers.get('location');
  if (!location) throw new Error(`no redirect from the authorization endpoint (${answer.status})`);

  const tokens = await client.authorizationCodeGrant(config, new URL(location), {
    pkceCodeVerifier: codeVerifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  console.log(JSON.stringify({
    sub: claims.sub,
    email: claims.email,
    iss_in_redirect: new URL(location).searchParams.get('iss'),
    userinfo,
    refreshed_sub: refreshed.claims()?.sub ?? null,
  }));
} catch (error) {
  console.error(`openid-client failed: ${error?.code ?? ''} ${error?.message ?? error}`);
  if (error?.cause) console.error(JSON.stringify(error.cause));
  process.exit(1);
}
