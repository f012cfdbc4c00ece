import type { JsonSchema, QuerySpec } from '../domain/schema.ts';
import { RESPONSES, ROUTE_DOCS, type RouteDoc } from './api-docs.ts';
import { API_ROUTES, splitRouteKey } from './routes.ts';

/**
 * The OpenAPI 3.1 document (`GET /api/openapi.json`), generated from the route table (routes.ts) and the
 * input descriptions the handlers validate with (api-docs.ts imports them from the parsers).
 */
export function openApiDocument(serverUrl?: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { routeKey } of API_ROUTES) {
    const { method, path } = splitRouteKey(routeKey);
    const openApiPath = path.replace('{id+}', '{id}');
    const entry = paths[openApiPath] ?? {};
    entry[method.toLowerCase()] = operation(routeKey, path, ROUTE_DOCS[routeKey]);
    paths[openApiPath] = entry;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Ferry',
      version: '1',
      description:
        'GitOps release manager. Gimlet-compatible routes (tag gimlet) work with the gimlet CLI and the ' +
        'gimlet-artifact-shipper-action unchanged. Errors are {"error":{"code","message"}}; a 503 (code ' +
        'unavailable, Retry-After) means a dependency is throttled or down and asking again can pass.',
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    tags: [
      { name: 'gimlet', description: 'GimletD-compatible' },
      { name: 'ferry', description: 'Ferry additions' },
      { name: 'users', description: 'users and tokens (admin)' },
      { name: 'hooks', description: 'Flux and GitHub webhooks' },
    ],
    paths,
    components: {
      schemas: RESPONSES,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'a Ferry token' },
        accessToken: {
          type: 'apiKey',
          in: 'query',
          name: 'access_token',
          description: 'as Gimlet clients send it',
        },
        fluxSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Signature',
          description: 'sha256=<HMAC of the body>',
        },
        githubSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Hub-Signature-256',
          description: 'GitHub webhook secret',
        },
        slackSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Slack-Signature',
          description: 'Slack signing secret: v0 HMAC-SHA256 over v0:<X-Slack-Request-Timestamp>:<body>',
        },
      },
    },
  };
}

const SECURITY: Record<RouteDoc['auth'], unknown[]> = {
  none: [],
  token: [{ bearer: [] }, { accessToken: [] }],
  hmac: [{ fluxSignature: [] }, { bearer: [] }, { accessToken: [] }],
  github: [{ githubSignature: [] }],
  slack: [{ slackSignature: [] }],
};

function operation(routeKey: string, path: string, doc: RouteDoc): Record<string, unknown> {
  const parameters = [
    ...[...path.matchAll(/\{(\w+)\+?\}/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    })),
    ...queryParameters(doc.query ?? {}),
    ...(doc.queryOrBody ? schemaAsQuery(doc.queryOrBody) : []),
  ];
  const body = doc.body ?? doc.queryOrBody;
  return {
    operationId: routeKey.replace(/[^A-Za-z0-9]+/g, '_').replace(/_$/, ''),
    summary: doc.summary,
    tags: [doc.tag],
    security: SECURITY[doc.auth],
    ...(parameters.length ? { parameters } : {}),
    ...(body
      ? {
          requestBody: {
            required: doc.body !== undefined,
            content: { 'application/json': { schema: body } },
          },
        }
      : {}),
    responses: Object.fromEntries(
      Object.entries(doc.responses).map(([status, name]) => [
        status,
        name === null
          ? { description: 'no content' }
          : {
              description: name,
              content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } },
            },
      ]),
    ),
  };
}

function queryParameters(spec: QuerySpec) {
  return Object.entries(spec).map(([name, param]) => ({
    name,
    in: 'query',
    description: param.description,
    required: param.required === true,
    ...(param.repeatable
      ? { schema: { type: 'array', items: param.schema }, style: 'form', explode: true }
      : { schema: param.schema }),
  }));
}

/** GimletD took rollback/delete parameters from the query string: the same fields, as parameters. */
function schemaAsQuery(schema: JsonSchema) {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, field]) => ({
    name,
    in: 'query',
    description: `${field.description ?? name} (or in the JSON body)`,
    required: false,
    schema: { ...field, type: 'string' },
    ...(required.has(name) ? { 'x-required-in-query-or-body': true } : {}),
  }));
}
