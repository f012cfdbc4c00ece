/**
 * Which Lambda serves which API Gateway route. The CDK stack creates exactly these routes and the local
 * stack matches requests against them, so both dispatch the same way.
 */
export const API_FUNCTIONS = ['http-health', 'http-artifacts', 'http-users'] as const;
export type ApiFunction = (typeof API_FUNCTIONS)[number];

export interface RouteSpec {
  routeKey: string;
  fn: ApiFunction;
}

export const ROUTES: readonly RouteSpec[] = [
  { routeKey: 'GET /', fn: 'http-health' },
  { routeKey: 'POST /api/artifact', fn: 'http-artifacts' },
  { routeKey: 'GET /api/artifacts', fn: 'http-artifacts' },
  { routeKey: 'GET /api/artifacts/{id+}', fn: 'http-artifacts' },
  { routeKey: 'POST /api/user', fn: 'http-users' },
  { routeKey: 'GET /api/users', fn: 'http-users' },
  { routeKey: 'GET /api/user/{login}', fn: 'http-users' },
  { routeKey: 'DELETE /api/user/{login}', fn: 'http-users' },
  { routeKey: 'GET /api/audit', fn: 'http-users' },
];

export function splitRouteKey(routeKey: string): { method: string; path: string } {
  const [method = '', path = ''] = routeKey.split(' ');
  return { method, path };
}
