import { useEffect, useState } from 'preact/hooks';
import { type ApiError, get, post } from './api.ts';
import { FINAL } from './format.ts';
import type { Decision, Me, Preview, ReleaseRequest } from './types.ts';
import { Diff, ErrorNote, html, Modal, State, Timeline } from './ui.ts';

/** What the token may do where: the API decides; this only hides what it would refuse. */
export function mayWrite(me: Me, env?: string): boolean {
  if (!me.may.includes('release:write')) return false;
  return !env || !me.environments || me.environments.includes(env);
}

/** Follows one request until nothing more will happen to it (`done`), showing its timeline. */
export function Tracker({ id }: { id: string }) {
  const [request, setRequest] = useState<(ReleaseRequest & { done?: boolean }) | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const r = await get<ReleaseRequest & { done?: boolean }>(`/api/releases/${encodeURIComponent(id)}`);
        if (stop) return;
        setRequest(r);
        setError(undefined);
        if (r.done && FINAL.has(r.state)) return;
      } catch (e) {
        if (!stop) setError(e as ApiError);
      }
      if (!stop) timer = setTimeout(tick, 1000);
    };
    void tick();
    return () => {
      stop = true;
      if (timer) clearTimeout(timer);
    };
  }, [id]);
  return html`<div class="tracker" aria-live="polite" data-request=${id}>
    <p>Request <code>${id}</code>: <${State} state=${request?.state} reason=${request?.reason} />
      ${request?.reason ? html` <span class="reason">${request.reason}</span>` : null}</p>
    ${request ? html`<${Timeline} states=${request.states} />` : null}
    <${ErrorNote} error=${error} />
  </div>`;
}

interface DeployTarget {
  env: string;
  app?: string;
  artifactId?: string;
  fromEnv?: string;
}

/**
 * Deploy or promote: first the dry run (the diff against what the folder holds, any branch restriction
 * that blocks it) and, for an artifact, what its policies would do; then the confirmed request.
 */
export function DeployDialog({
  title,
  target,
  explain,
  onClose,
}: {
  title: string;
  target: DeployTarget;
  /** The artifact whose policies to explain (a promotion's: what the source environment runs). */
  explain?: string | undefined;
  onClose: () => void;
}) {
  const [preview, setPreview] = useState<Preview | undefined>(undefined);
  const [decisions, setDecisions] = useState<Decision[] | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [requestId, setRequestId] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    post<Preview>('/api/releases?dryRun=true', target).then(setPreview, setError);
    const artifactId = target.artifactId ?? explain;
    if (artifactId) {
      post<Decision[]>('/api/policies/evaluate', { artifactId }).then(
        (all) => setDecisions(all.filter((d) => (d.target?.env ?? d.env) === target.env)),
        () => setDecisions([]),
      );
    } else setDecisions([]);
  }, [target, explain]);
  const confirm = async () => {
    setBusy(true);
    try {
      const { id } = await post<{ id: string }>('/api/releases', target);
      setRequestId(id);
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return html`<${Modal} title=${title} onClose=${onClose}>
    ${
      requestId
        ? html`<${Tracker} id=${requestId} />`
        : html`
      ${!preview && !error ? html`<p class="muted" aria-busy="true">Computing the dry run…</p>` : null}
      ${
        preview
          ? html`<p>${preview.env}/${preview.app}: ${preview.changes.length} file(s) change
              ${preview.currentGitopsSha ? html` against gitops <code>${preview.currentGitopsSha.slice(0, 7)}</code>` : ' (nothing deployed yet)'}.</p>
            ${preview.blockedBy ? html`<p class="error forbidden" role="alert">Blocked: ${preview.blockedBy}</p>` : null}
            ${
              target.fromEnv && explain && preview.artifactId !== explain
                ? html`<p class="note">${target.fromEnv} runs another artifact now (<code>${preview.artifactId}</code>): this promotes that one.</p>`
                : null
            }
            <ul class="changes">${preview.changes.map((c) => html`<li><span class=${`chg ${c.change}`}>${c.change}</span> ${c.path}</li>`)}</ul>
            <${Diff} text=${preview.diff} label="dry-run diff" />`
          : null
      }
      ${
        decisions
          ? html`<section class="explain" aria-label="policy explanation">
              <h3>Policies for ${target.env}</h3>
              ${preview?.blockedBy ? html`<p>Branch restriction: ${preview.blockedBy}</p>` : html`<p>No branch restriction blocks this release.</p>`}
              ${
                decisions.length > 0
                  ? html`<ul>${decisions.map((d) => html`<li data-decision=${d.target ? `${d.target.env}/${d.target.app}` : `${d.env}/${d.app}`}>${d.target ? `${d.target.env}/${d.target.app}` : `${d.env}/${d.app}`}: ${d.matched ? `would release automatically (${d.outcome ?? 'matched'})` : 'not released automatically'} — ${d.reasons.join('; ')}</li>`)}</ul>`
                  : html`<p>No policy of this artifact releases it to ${target.env} automatically; this release is by hand.</p>`
              }
            </section>`
          : null
      }
      <${ErrorNote} error=${error} />
      <div class="buttons">
        <button type="button" class="primary" disabled=${!preview || !!preview.blockedBy || busy} onClick=${confirm}>Confirm ${target.fromEnv ? 'promotion' : 'deploy'}</button>
        <button type="button" onClick=${onClose}>Cancel</button>
      </div>`
    }
    ${requestId ? html`<div class="buttons"><button type="button" onClick=${onClose}>Close</button></div>` : null}
  <//>`;
}

/** Roll back to a commit: says plainly that automatic releases stop until a deploy or Resume. */
export function RollbackDialog({
  env,
  app,
  sha,
  label,
  onClose,
}: {
  env: string;
  app: string;
  sha: string;
  label: string;
  onClose: () => void;
}) {
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [requestId, setRequestId] = useState<string | undefined>(undefined);
  const confirm = async () => {
    try {
      setRequestId((await post<{ id: string }>('/api/rollback', { env, app, sha })).id);
    } catch (e) {
      setError(e as ApiError);
    }
  };
  return html`<${Modal} title=${`Roll back ${env}/${app}`} onClose=${onClose}>
    ${
      requestId
        ? html`<${Tracker} id=${requestId} />`
        : html`<p>Restore <strong>${env}/${app}</strong> to <strong>${label}</strong> (gitops commit <code>${sha.slice(0, 7)}</code>).</p>
          <p class="note">A rollback <strong>holds</strong> automatic releases of ${app} in ${env}: policies stop
          deploying it until someone deploys deliberately or presses Resume.</p>
          <${ErrorNote} error=${error} />`
    }
    <div class="buttons">
      ${requestId ? null : html`<button type="button" class="danger" onClick=${confirm}>Roll back and hold</button>`}
      <button type="button" onClick=${onClose}>${requestId ? 'Close' : 'Cancel'}</button>
    </div>
  <//>`;
}
