import { get } from './api.ts';
import { age, firstLine, versionLabel } from './format.ts';
import type { Cell } from './types.ts';
import { ErrorNote, html, Links, Loading, State, usePoll } from './ui.ts';

export interface Matrix {
  environments: { env: string; apps: Cell[] }[];
}

export const loadMatrix = () => get<Matrix>('/api/environments');

const appHref = (env: string, app: string) => `#/apps/${encodeURIComponent(env)}/${encodeURIComponent(app)}`;

function CellView({ cell }: { cell: Cell | undefined }) {
  if (!cell) return html`<span class="muted" aria-label="not deployed">—</span>`;
  const v = cell.release?.version;
  return html`<div class="cell" data-cell=${`${cell.env}/${cell.app}`}>
    <div class="line">
      <a class="version" href=${appHref(cell.env, cell.app)} title="history, roll back, promote">${cell.release ? versionLabel(v) : 'deleted'}</a>
      <${State} state=${cell.state} reason=${cell.reason} />
      ${cell.hold ? html`<span class="badge held" title=${`${cell.hold.reason} (by ${cell.hold.by})`}>held</span>` : null}
    </div>
    ${v?.message ? html`<div class="msg" title=${v.message}>${firstLine(v.message)}</div>` : null}
    ${
      cell.release
        ? html`<div class="meta">${v?.authorName ?? cell.release.triggeredBy} · ${age(cell.release.created)} ago</div>
          <${Links} release=${cell.release} />`
        : null
    }
  </div>`;
}

/** Environments × apps: what runs where, in what state; previews listed under their environment. */
export function MatrixView() {
  const { data, error } = usePoll(loadMatrix, [], 5000);
  if (!data) return error ? html`<${ErrorNote} error=${error} />` : html`<${Loading} />`;
  const envs = data.environments.map((e) => e.env).sort();
  const cells = new Map(
    data.environments.flatMap((e) => e.apps.map((c) => [`${c.env}/${c.app}`, c] as const)),
  );
  const apps = [
    ...new Set(data.environments.flatMap((e) => e.apps.filter((c) => !c.preview).map((c) => c.app))),
  ].sort();
  const previews = data.environments
    .map((e) => ({ env: e.env, cells: e.apps.filter((c) => c.preview) }))
    .filter((p) => p.cells.length > 0);
  if (envs.length === 0) {
    return html`<p class="empty">Nothing deployed yet. Ship an artifact from CI, then deploy it from <a href="#/artifacts">Artifacts</a>.</p>`;
  }
  return html`<section aria-labelledby="matrix-h">
    <h1 id="matrix-h">Environments</h1>
    <${ErrorNote} error=${error} />
    <div class="scroll">
      <table class="matrix">
        <thead><tr><th scope="col">App</th>${envs.map((env) => html`<th scope="col">${env}</th>`)}</tr></thead>
        <tbody>
          ${apps.map(
            (app) => html`<tr>
              <th scope="row">${app}</th>
              ${envs.map((env) => html`<td data-label=${env}><${CellView} cell=${cells.get(`${env}/${app}`)} /></td>`)}
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
    ${previews.map(
      (p) => html`<section class="previews" aria-label=${`previews in ${p.env}`}>
        <h2>Previews in ${p.env}</h2>
        <ul class="cards">${p.cells.map((c) => html`<li><strong>${c.app}</strong> <${CellView} cell=${c} /></li>`)}</ul>
      </section>`,
    )}
  </section>`;
}
