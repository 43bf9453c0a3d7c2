// A real OpenID provider for the Academy's sign-in tests, built on npm's `oidc-provider`.
//
// Started by the Rust test harness (tests/api/identity_oidc_provider.rs): it listens on a free
// 127.0.0.1 port and prints `listening <port>` once it serves. Settings come from the
// environment:
//   OIDC_REDIRECT_URI  the Academy's callback URL registered for the client `academy`
//   OIDC_TOKEN_DELAY_MS  delay every token response (to test a slow provider)
//
// A scripted person answers the sign-in interaction without HTML forms:
//   POST /interaction/<uid>/approve?account=<id>  signs in as <id> and consents
//   POST /interaction/<uid>/deny                  declines (access_denied)
import http from 'node:http';
import Provider from 'oidc-provider';

const redirectUri = process.env.OIDC_REDIRECT_URI;
const tokenDelayMs = Number(process.env.OIDC_TOKEN_DELAY_MS || 0);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'academy',
        client_secret: 'academy-test-secret',
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    async findAccount(ctx, id) {
      return {
        accountId: id,
        async claims() {
          return { sub: id, email: `${id}@example.org`, name: `Real Name of ${id}` };
        },
      };
    },
    claims: { openid: ['sub'], email: ['email'], profile: ['name'] },
    pkce: { required: () => true },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    features: { devInteractions: { enabled: false } },
  });

  provider.use(async (ctx, next) => {
    if (ctx.path === '/token' && tokenDelayMs > 0) {
      await sleep(tokenDelayMs);
    }
    const answer = ctx.path.match(/^\/interaction\/[^/]+\/(approve|deny)$/);
    if (ctx.method === 'POST' && answer) {
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      let result;
      if (answer[1] === 'deny') {
        result = { error: 'access_denied', error_description: 'The person declined.' };
      } else {
        const accountId = ctx.query.account || 'alice';
        const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
        grant.addOIDCScope(details.params.scope);
        result = { login: { accountId }, consent: { grantId: await grant.save() } };
      }
      await provider.interactionFinished(ctx.req, ctx.res, result, {
        mergeWithLastSubmission: false,
      });
      ctx.respond = false;
      return;
    }
    if (ctx.method === 'GET' && ctx.path.startsWith('/interaction/')) {
      ctx.body = { interaction: ctx.path.split('/')[2] };
      return;
    }
    await next();
  });

  server.on('request', provider.callback());
  process.stdout.write(`listening ${port}\n`);
});

process.on('SIGTERM', () => process.exit(0));
