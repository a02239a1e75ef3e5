// A real OpenID Connect provider (the oidc-provider package, OpenID Certified) on loopback for the
// data-source tests: node provider.mjs PORT CLIENT_SECRET API_SECRET ACCESS_TOKEN_TTL_SECONDS
// [REDIRECT_URI,...] (more redirect URIs for "bomvault": the browser test's own origin).
// Clients: "bomvault" (authorization code + PKCE, refresh tokens, client credentials, revocation)
// and "source-api" (introspection only: the test API asks here whether a token is real).
// Sign-in uses the package's own development interactions: any login name is an account, so a
// test signs in as "alice" or "bob" and the tokens carry that subject.
import Provider from 'oidc-provider';

const [port, clientSecret, apiSecret, accessTtl, moreRedirects] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'bomvault',
      client_secret: clientSecret,
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/callback', ...(moreRedirects ? moreRedirects.split(',') : [])],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'openid offline_access boms',
    },
    {
      client_id: 'source-api',
      client_secret: apiSecret,
      grant_types: [],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  scopes: ['openid', 'offline_access', 'boms'],
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
  },
  pkce: { required: () => true },
  issueRefreshToken: async (ctx, client, code) => client.grantTypeAllowed('refresh_token') &&
    code.scopes.has('offline_access'),
  async findAccount(ctx, sub) {
    return { accountId: sub, async claims() { return { sub }; } };
  },
  loadExistingGrant: async (ctx) => {
    // Consent is given once per sign-in by the test; grant every requested scope.
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid offline_access');
    grant.addResourceScope(issuer, 'boms');
    await grant.save();
    return grant;
  },
  ttl: { AccessToken: Number(accessTtl || 3600), ClientCredentials: Number(accessTtl || 600), RefreshToken: 86400 },
});
provider.proxy = false;
provider.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write('ready\n');
});
