import { useState } from 'preact/hooks';
import { mayWrite } from './actions.ts';
import { type ApiError, api, get, post } from './api.ts';
import { time } from './format.ts';
import { loadMatrix } from './matrix.ts';
import type { AuditEntry, Me, Policy } from './types.ts';
import { ErrorNote, html, Loading, usePoll } from './ui.ts';

/** Policies in force, branch restrictions among them, and every hold; admins may remove API policies. */
export function PoliciesView({ me }: { me: Me }) {
  const policies = usePoll(() => get<Policy[]>('/api/policies'), [], 10_000);
  const matrix = usePoll(loadMatrix, [], 5000);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const admin = me.may.includes('env:manage');
  const remove = async (id: string) => {
    if (!window.confirm(`Remove policy ${id}?`)) return;
    try {
      await api('DELETE', `/api/policies/${encodeURIComponent(id)}`);
      void policies.refresh();
    } catch (e) {
      setError(e as ApiError);
    }
  };
  const resume = async (env: string, app: string) => {
    try {
      await post('/api/resume', { env, app });
      void matrix.refresh();
    } catch (e) {
      setError(e as ApiError);
    }
  };
  const holds = (matrix.data?.environments ?? []).flatMap((e) => e.apps.filter((c) => c.hold));
  return html`<section aria-labelledby="policies-h">
    <h1 id="policies-h">Policies and holds</h1>
    <${ErrorNote} error=${policies.error ?? error} />
    <h2>Policies</h2>
    ${
      !policies.data
        ? html`<${Loading} />`
        : policies.data.length === 0
          ? html`<p class="muted">No policies: releases happen only when asked for (and by manifest deploy rules).</p>`
          : html`<div class="scroll"><table><thead><tr><th scope="col">Kind</th><th scope="col">Env</th><th scope="col">App</th><th scope="col">Branch</th><th scope="col">Set by</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
        <tbody>${policies.data.map(
          (
            p,
          ) => html`<tr><td>${p.kind}</td><td>${p.env}</td><td>${p.app ?? 'every app'}</td><td><code>${p.branch}</code></td>
            <td>${p.source === 'install' ? 'install' : (p.createdBy ?? '')}</td>
            <td>${admin && p.source === 'api' ? html`<button type="button" class="danger" onClick=${() => remove(p.id)}>Remove</button>` : null}</td></tr>`,
        )}</tbody></table></div>`
    }
    <h2>Holds</h2>
    ${
      holds.length === 0
        ? html`<p class="muted">Nothing is held.</p>`
        : html`<ul class="holds">${holds.map(
            (
              c,
            ) => html`<li data-hold=${`${c.env}/${c.app}`}><a href=${`#/apps/${c.env}/${c.app}`}>${c.env}/${c.app}</a>: ${c.hold?.reason} (by ${c.hold?.by}, ${time(c.hold?.at ?? '')})
              ${mayWrite(me, c.env) ? html` <button type="button" onClick=${() => resume(c.env, c.app)}>Resume</button>` : null}</li>`,
          )}</ul>`
    }
  </section>`;
}

export function AuditView() {
  const { data, error } = usePoll(() => get<AuditEntry[]>('/api/audit?limit=100'), [], 10_000);
  return html`<section aria-labelledby="audit-h">
    <h1 id="audit-h">Audit log</h1>
    <${ErrorNote} error=${error} />
    ${
      !data
        ? error
          ? null
          : html`<${Loading} />`
        : html`<div class="scroll"><table><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Detail</th></tr></thead>
      <tbody>${data.map(
        (a) => html`<tr><td>${time(a.at)}</td><td>${a.actor}</td><td>${a.action}</td><td>${a.target}</td>
          <td>${Object.entries(a.detail ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}</td></tr>`,
      )}</tbody></table></div>`
    }
  </section>`;
}
