// A certified OpenID Provider (panva/oidc-provider) on 127.0.0.1, for kukuruku-oidc's interop test.
//
//   node oidc_provider.mjs <redirect_uri>
//
// Prints one JSON line {"issuer": "...", "client_id": "...", "client_secret": "..."} on stdout once
// listening; runs until killed. Interactions complete by themselves: every login is the account
// "ann", and consent grants what was asked (the dev interaction, without its HTML forms).
import http from 'node:http';
import Provider from 'oidc-provider';

const redirectUri = process.argv[2];
if (!redirectUri) {
  console.error('usage: node oidc_provider.mjs <redirect_uri>');
  process.exit(2);
}

const ACCOUNTS = {
  ann: { sub: 'ann', email: 'ann@example.com', email_verified: true, name: 'Ann Example' },
};

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'rust',
      client_secret: 'rust-secret',
      redirect_uris: [redirectUri],
      response_types: ['code'],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    cookies: { keys: ['interop-only-cookie-key'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    findAccount: async (ctx, id) => {
      const account = ACCOUNTS[id];
      return account && { accountId: id, claims: async () => ({ ...account }) };
    },
  });

  // Auto-completing interactions: login as "ann", consent to what is missing.
  provider.use(async (ctx, next) => {
    if (ctx.method !== 'GET' || !ctx.path.startsWith('/interaction/')) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    let result;
    if (details.prompt.name === 'login') {
      result = { login: { accountId: 'ann' } };
    } else {
      const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
      if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
      if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(missingResourceScopes || {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      result = { consent: { grantId: await grant.save() } };
    }
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
    ctx.status = 303;
    ctx.redirect(returnTo);
  });

  server.on('request', provider.callback());
  console.log(JSON.stringify({ issuer, client_id: 'rust', client_secret: 'rust-secret' }));
});
