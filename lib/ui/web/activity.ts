import { get } from './api.ts';
import { age, FINAL } from './format.ts';
import type { ReleaseRequest } from './types.ts';
import { ErrorNote, html, Loading, State, Timeline, usePoll } from './ui.ts';

/** Without Flux reporting, `committed` is as far as a request goes; after this long it stops being "in flight". */
const COMMITTED_QUIET_MS = 15 * 60_000;

const inFlight = (r: ReleaseRequest, now: number) =>
  !FINAL.has(r.state) && !(r.state === 'committed' && now - Date.parse(r.createdAt) > COMMITTED_QUIET_MS);

function RequestView({ request }: { request: ReleaseRequest }) {
  return html`<article class="request" data-request=${request.id} data-state=${request.state}>
    <header>
      <strong>${request.intent}</strong>
      <a href=${`#/apps/${encodeURIComponent(request.env)}/${encodeURIComponent(request.app)}`}>${request.env}/${request.app}</a>
      <${State} state=${request.state} reason=${request.reason} />
      <span class="meta">by ${request.triggeredBy} · ${age(request.createdAt)} ago</span>
    </header>
    ${request.cause ? html`<p class="cause">${request.cause}</p>` : null}
    ${request.reason ? html`<p class="reason">${request.reason}</p>` : null}
    <${Timeline} states=${request.states} />
  </article>`;
}

/** Requests in flight and the ones just finished, refreshed every two seconds without a reload. */
export function ActivityView() {
  const { data, error } = usePoll(() => get<ReleaseRequest[]>('/api/requests?limit=50'), [], 2000);
  if (!data) return error ? html`<${ErrorNote} error=${error} />` : html`<${Loading} />`;
  const now = Date.now();
  const moving = data.filter((r) => inFlight(r, now));
  const settled = data.filter((r) => !inFlight(r, now));
  return html`<section aria-labelledby="activity-h">
    <h1 id="activity-h">Activity</h1>
    <${ErrorNote} error=${error} />
    <h2>In flight (${moving.length})</h2>
    ${moving.length === 0 ? html`<p class="muted">Nothing moving.</p>` : moving.map((r) => html`<${RequestView} key=${r.id} request=${r} />`)}
    <h2>Recent</h2>
    ${settled.map((r) => html`<${RequestView} key=${r.id} request=${r} />`)}
  </section>`;
}
