import type { ApiDeps } from '../lib/app/deps.ts';
import { exchangeOidcToken } from '../lib/app/oidc.ts';
import { AUDIT_QUERY, createUser, deleteUser, getUser, listUsers, USER_QUERY } from '../lib/app/users.ts';
import { lambdaUsersDeps, lazy } from '../lib/compose/lambda.ts';
import { authorize, grantsOf } from '../lib/domain/access.ts';
import { single } from '../lib/domain/query.ts';
import { checkQuery } from '../lib/domain/schema.ts';
import { invalid } from '../lib/domain/validate.ts';
import { makeHttpHandler } from '../lib/http/handler.ts';
import { pathParam, queryParams, readJsonBody } from '../lib/http/request.ts';
import { json, noContent } from '../lib/http/response.ts';

export const makeHandler = ({ users, audit, oidc, ...deps }: ApiDeps) =>
  makeHttpHandler(deps, {
    // Authenticated by the GitHub Actions OIDC token in the body, not by a Ferry token.
    open: {
      'POST /api/token/oidc': async (event) =>
        json(
          201,
          await exchangeOidcToken(
            { users, audit, clock: deps.clock, ...(oidc ? { oidc } : {}) },
            event.requestContext.requestId,
            readJsonBody(event),
          ),
        ),
    },
    routes: {
      'POST /api/user': async ({ event, call }) =>
        json(201, await createUser(users, call, readJsonBody(event))),
      'GET /api/users': async ({ call }) => json(200, await listUsers(users, call)),
      'GET /api/user/{login}': async ({ event, call }) => {
        const params = queryParams(event);
        checkQuery(params, USER_QUERY);
        const withToken = single(params, 'withToken') ?? 'false';
        if (withToken !== 'true' && withToken !== 'false') invalid('withToken', 'must be true or false');
        return json(200, await getUser(users, call, pathParam(event, 'login'), withToken === 'true'));
      },
      'DELETE /api/user/{login}': async ({ event, call }) => {
        await deleteUser(users, call, pathParam(event, 'login'));
        return noContent();
      },
      // Who the token belongs to and what it may do: the dashboard shows only the actions granted.
      'GET /api/me': async ({ call }) => {
        const { login, role, environments } = call.principal;
        return json(200, { login, role, ...(environments ? { environments } : {}), may: grantsOf(role) });
      },
      'GET /api/audit': async ({ event, call }) => {
        authorize(call.principal, 'audit:read');
        const params = queryParams(event);
        checkQuery(params, AUDIT_QUERY);
        const limit = Number(single(params, 'limit') ?? '50');
        if (!Number.isInteger(limit) || limit < 1 || limit > 500) invalid('limit', 'must be from 1 to 500');
        return json(200, await audit.list(limit));
      },
    },
  });

export const handler = lazy(() => lambdaUsersDeps(), makeHandler);
