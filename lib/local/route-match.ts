import { type RouteSpec, splitRouteKey } from '../http/routes.ts';

export interface RouteMatch<F extends string> {
  route: RouteSpec<F>;
  pathParameters: Record<string, string>;
}

/** API Gateway's matching: `{name}` is one segment, `{name+}` the rest of the path; exact method. */
export function matchRoute<F extends string>(
  routes: readonly RouteSpec<F>[],
  method: string,
  path: string,
): RouteMatch<F> | undefined {
  const segments = path.split('/').filter(Boolean);
  for (const route of routes) {
    const spec = splitRouteKey(route.routeKey);
    if (spec.method !== method) continue;
    const params = matchPath(spec.path.split('/').filter(Boolean), segments);
    if (params) return { route, pathParameters: params };
  }
  return undefined;
}

function matchPath(template: string[], segments: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (const [i, part] of template.entries()) {
    const greedy = /^\{(\w+)\+\}$/.exec(part);
    if (greedy?.[1]) {
      if (i !== template.length - 1 || segments.length <= i) return undefined;
      params[greedy[1]] = segments.slice(i).join('/');
      return params;
    }
    const segment = segments[i];
    if (segment === undefined) return undefined;
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name) params[name] = segment;
    else if (part !== segment) return undefined;
  }
  return template.length === segments.length ? params : undefined;
}
