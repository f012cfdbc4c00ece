/**
 * Which Lambda serves which API Gateway route. The CDK stack creates exactly these routes and the local
 * stack matches requests against them, so both dispatch the same way.
 */
export const API_FUNCTIONS = [
  'http-health',
  'http-artifacts',
  'http-users',
  'http-releases',
  'http-github-webhook',
] as const;
export type ApiFunction = (typeof API_FUNCTIONS)[number];
/** Serves the dashboard's static files on the API's origin: no token, no table, no secrets. */
export const UI_FUNCTION = 'http-ui';
export type RouteFunction = ApiFunction | typeof UI_FUNCTION;

export interface RouteSpec<F extends string = RouteFunction> {
  routeKey: string;
  fn: F;
}

export const ROUTES = [
  { routeKey: 'GET /', fn: 'http-health' },
  { routeKey: 'GET /api/openapi.json', fn: 'http-health' },
  { routeKey: 'GET /ui', fn: UI_FUNCTION },
  { routeKey: 'GET /ui/{path+}', fn: UI_FUNCTION },
  { routeKey: 'POST /api/artifact', fn: 'http-artifacts' },
  { routeKey: 'GET /api/artifacts', fn: 'http-artifacts' },
  { routeKey: 'GET /api/artifacts/{id+}', fn: 'http-artifacts' },
  { routeKey: 'POST /api/user', fn: 'http-users' },
  { routeKey: 'GET /api/users', fn: 'http-users' },
  { routeKey: 'GET /api/user/{login}', fn: 'http-users' },
  { routeKey: 'DELETE /api/user/{login}', fn: 'http-users' },
  { routeKey: 'GET /api/audit', fn: 'http-users' },
  { routeKey: 'GET /api/me', fn: 'http-users' },
  { routeKey: 'POST /api/token/oidc', fn: 'http-users' },
  { routeKey: 'POST /api/releases', fn: 'http-releases' },
  { routeKey: 'GET /api/releases', fn: 'http-releases' },
  { routeKey: 'GET /api/releases/{id}', fn: 'http-releases' },
  { routeKey: 'GET /api/releases/{id}/diff', fn: 'http-releases' },
  { routeKey: 'POST /api/releases/{id}/requeue', fn: 'http-releases' },
  { routeKey: 'POST /api/rollback', fn: 'http-releases' },
  { routeKey: 'POST /api/delete', fn: 'http-releases' },
  { routeKey: 'POST /api/resume', fn: 'http-releases' },
  { routeKey: 'GET /api/status', fn: 'http-releases' },
  { routeKey: 'GET /api/eventReleaseTrack', fn: 'http-releases' },
  { routeKey: 'GET /api/eventArtifactTrack', fn: 'http-releases' },
  { routeKey: 'GET /api/gitopsRepo', fn: 'http-releases' },
  { routeKey: 'GET /api/environments', fn: 'http-releases' },
  { routeKey: 'GET /api/requests', fn: 'http-releases' },
  { routeKey: 'POST /api/environments/{env}/init', fn: 'http-releases' },
  { routeKey: 'GET /api/policies', fn: 'http-releases' },
  { routeKey: 'POST /api/policies', fn: 'http-releases' },
  { routeKey: 'POST /api/policies/evaluate', fn: 'http-releases' },
  { routeKey: 'DELETE /api/policies/{id}', fn: 'http-releases' },
  { routeKey: 'GET /api/governance', fn: 'http-releases' },
  { routeKey: 'POST /api/halts', fn: 'http-releases' },
  { routeKey: 'DELETE /api/halts/{env}', fn: 'http-releases' },
  { routeKey: 'POST /api/freezes', fn: 'http-releases' },
  { routeKey: 'DELETE /api/freezes/{id}', fn: 'http-releases' },
  { routeKey: 'POST /api/approval-rules', fn: 'http-releases' },
  { routeKey: 'DELETE /api/approval-rules/{env}', fn: 'http-releases' },
  { routeKey: 'POST /api/releases/{id}/approve', fn: 'http-releases' },
  { routeKey: 'POST /api/releases/{id}/reject', fn: 'http-releases' },
  { routeKey: 'POST /api/releases/{id}/override', fn: 'http-releases' },
  { routeKey: 'POST /api/slack/interactions', fn: 'http-releases' },
  { routeKey: 'POST /api/github-webhook', fn: 'http-github-webhook' },
] as const satisfies readonly RouteSpec[];

/** Flux posts to its own function behind a public Function URL (not the API); locally, the same port. */
export const FLUX_EVENTS_FUNCTION = 'http-flux-events';
export type LocalFunction = RouteFunction | typeof FLUX_EVENTS_FUNCTION;
export const LOCAL_ROUTES = [
  ...ROUTES,
  { routeKey: 'POST /api/flux-events', fn: FLUX_EVENTS_FUNCTION },
] as const satisfies readonly RouteSpec<LocalFunction>[];

/** Every route key Ferry answers. */
export type AnyRouteKey = (typeof LOCAL_ROUTES)[number]['routeKey'];
/** The dashboard's static files are no API: the OpenAPI document describes every other route. */
export type RouteKey = Exclude<AnyRouteKey, 'GET /ui' | 'GET /ui/{path+}'>;
export const API_ROUTES = LOCAL_ROUTES.filter(
  (r): r is Extract<(typeof LOCAL_ROUTES)[number], { routeKey: RouteKey }> => r.fn !== UI_FUNCTION,
);

export function splitRouteKey(routeKey: string): { method: string; path: string } {
  const [method = '', path = ''] = routeKey.split(' ');
  return { method, path };
}
