import { getArtifact, listArtifacts, shipArtifact } from '../lib/app/artifacts.ts';
import type { ArtifactsApiDeps } from '../lib/app/deps.ts';
import { lambdaArtifactsDeps, lazy } from '../lib/compose/lambda.ts';
import { makeHttpHandler } from '../lib/http/handler.ts';
import { pathParam, queryParams, readJsonBody } from '../lib/http/request.ts';
import { json } from '../lib/http/response.ts';

export const makeHandler = ({ artifacts, manifests, ...deps }: ArtifactsApiDeps) =>
  makeHttpHandler(deps, {
    routes: {
      'POST /api/artifact': async ({ event, call }) =>
        json(201, await shipArtifact({ artifacts, manifests }, call, readJsonBody(event))),
      'GET /api/artifacts': async ({ event, call }) =>
        json(200, await listArtifacts(artifacts, call, queryParams(event))),
      'GET /api/artifacts/{id+}': async ({ event, call }) =>
        json(200, await getArtifact(artifacts, call, pathParam(event, 'id'))),
    },
  });

export const handler = lazy(() => lambdaArtifactsDeps(), makeHandler);
