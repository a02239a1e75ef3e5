// A real OpenID Connect provider (panva/oidc-provider, pinned in package.json) on loopback, for
// bomvault's single sign-on tests: `node provider.mjs CONFIG.json`.
//
// CONFIG: {"clients":[{"client_id","client_secret"?,"alg"}], "redirect_uri", "post_logout_redirect_uri",
//          "accounts":{"<login>":{"password","email","email_verified","groups"}}}
// It listens on 127.0.0.1 on a free port and prints one JSON line {"issuer": ...} once ready.
// Signing keys (RSA 2048, P-256, Ed25519) are made at start; each client's ID tokens use its alg.
// The login form (our own interaction, not the library's dev one) takes login, password and an
// optional one-time code: with a code the sign-in's amr is ["pwd","otp"], else ["pwd"]. Consent
// is granted by posting the consent form. Nothing here is fit for anything but tests.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { URLSearchParams } from 'node:url';

import Provider from 'oidc-provider';

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

function jwk(type, options, alg, kid) {
  const { privateKey } = crypto.generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid };
}

const keys = [
  jwk('rsa', { modulusLength: 2048 }, 'RS256', 'rsa-1'),
  jwk('ec', { namedCurve: 'P-256' }, 'ES256', 'ec-1'),
  jwk('ed25519', {}, 'EdDSA', 'ed-1'),
];

function escape(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escape(title)}</title></head>` +
    `<body><h1>${escape(title)}</h1>${body}</body></html>`;
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: config.clients.map((c) => ({
      client_id: c.client_id,
      ...(c.client_secret ? { client_secret: c.client_secret } : { token_endpoint_auth_method: 'none' }),
      redirect_uris: [config.redirect_uri],
      post_logout_redirect_uris: [config.post_logout_redirect_uri],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      id_token_signed_response_alg: c.alg || 'RS256',
    })),
    jwks: { keys },
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    pkce: { required: () => true, methods: ['S256'] },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.body = page('Sign out', `${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>`);
        },
      },
    },
    // amr and auth_time go out with every ID token, as Keycloak and Entra ID send them.
    claims: {
      openid: ['sub', 'amr', 'auth_time'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups'],
    conformIdTokenClaims: false,
    async findAccount(ctx, id) {
      const account = config.accounts[id];
      if (!account) return undefined;
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            email: account.email,
            email_verified: account.email_verified !== false,
            name: id,
            groups: account.groups || [],
          };
        },
      };
    },
    renderError(ctx, out) {
      ctx.type = 'json';
      ctx.body = out;
    },
  });
  provider.proxy = false;
  const callback = provider.callback();

  server.on('request', async (req, res) => {
    try {
      const match = /^\/interaction\/([^/?]+)(\/(login|consent))?/.exec(req.url);
      if (!match) return callback(req, res);
      const details = await provider.interactionDetails(req, res);
      const uid = match[1];
      if (req.method === 'GET') {
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        if (details.prompt.name === 'login') {
          return res.end(page('Sign in', `<form method="post" action="/interaction/${escape(uid)}/login">` +
            '<input name="login"><input name="password" type="password"><input name="otp">' +
            '<button type="submit">Sign in</button></form>'));
        }
        return res.end(page('Consent', `<form method="post" action="/interaction/${escape(uid)}/consent">` +
          '<button type="submit">Allow</button></form>'));
      }
      const form = await readForm(req);
      if (match[3] === 'login') {
        const login = form.get('login') || '';
        const account = config.accounts[login];
        if (!account || account.password !== form.get('password')) {
          res.statusCode = 401;
          res.setHeader('Content-Type', 'text/html; charset=utf-8');
          return res.end(page('Sign in failed', '<p>wrong login or password</p>'));
        }
        const amr = form.get('otp') ? ['pwd', 'otp'] : ['pwd'];
        return provider.interactionFinished(req, res, { login: { accountId: login, amr } },
          { mergeWithLastSubmission: false });
      }
      const { prompt: { details: missing }, params, session } = details;
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      const grantId = await grant.save();
      return provider.interactionFinished(req, res, { consent: { grantId } },
        { mergeWithLastSubmission: true });
    } catch (err) {
      res.statusCode = 500;
      res.setHeader('Content-Type', 'text/plain');
      res.end(String(err && err.message));
    }
  });
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
