import { useMemo, useState } from 'preact/hooks';
import { DeployDialog, mayWrite, RollbackDialog } from './actions.ts';
import { type ApiError, get, post, q } from './api.ts';
import { age, firstLine, time, versionLabel } from './format.ts';
import { loadMatrix } from './matrix.ts';
import type { Artifact, Hold, Me, Release, ReleaseRequest } from './types.ts';
import { Diff, ErrorNote, html, Links, Loading, Modal, Timeline, usePoll } from './ui.ts';

type Status = Record<string, Release | { hold: Hold } | null>;

/**
 * Why a commit was made, in words: a rollback and its target, a promotion and its source, a policy and the
 * rule that matched, or a person's deploy.
 */
export function why(entry: Release): string {
  if (entry.intent === 'rollback') return `rollback to ${entry.targetSha?.slice(0, 7) ?? '?'}`;
  if (entry.intent === 'delete') return entry.cause ? `delete: ${entry.cause}` : 'delete';
  if (entry.intent === 'init') return 'environment set-up';
  if (entry.triggeredBy === 'policy') {
    // An auto-release's cause starts with the manifest's own verdict ("no deploy policy"): show the rule.
    const rule = (entry.cause ?? '')
      .split('; ')
      .filter((r) => r && r !== 'no deploy policy')
      .join('; ');
    return `policy: ${rule || 'automatic release'}`;
  }
  if (entry.cause?.startsWith('promotion from ')) return entry.cause;
  return entry.cause ? `manual deploy (${entry.cause})` : 'manual deploy';
}

interface CommitDiffView {
  kept: boolean;
  gitopsSha: string;
  changes: { path: string; change: string }[];
  diff: string;
  truncated?: boolean;
}

/** The diff a past release's gitops commit made, as Ferry kept it when it committed. */
function DiffDialog({ release, onClose }: { release: Release; onClose: () => void }) {
  const { data, error } = usePoll(
    () => get<CommitDiffView>(`/api/releases/${encodeURIComponent(release.requestId)}/diff`),
    [release.requestId],
  );
  return html`<${Modal} title=${`What ${release.gitopsRef.slice(0, 7)} changed`} onClose=${onClose}>
    <p>${why(release)} by ${release.triggeredBy}, ${age(release.created)} ago: ${versionLabel(release.version)}</p>
    ${
      data
        ? data.kept
          ? html`<ul class="changes">${data.changes.map((c) => html`<li><span class=${`chg ${c.change}`}>${c.change}</span> ${c.path}</li>`)}</ul>
            <${Diff} text=${data.diff} label="diff of this release" />
            ${data.truncated ? html`<p class="muted">The diff was cut; the gitops commit has all of it.</p>` : null}`
          : html`<p class="muted">Ferry kept no diff for this commit (made before diffs were kept); the gitops commit <code>${data.gitopsSha.slice(0, 7)}</code> has it.</p>`
        : error
          ? null
          : html`<${Loading} />`
    }
    <${ErrorNote} error=${error} />
    <div class="buttons"><button type="button" onClick=${onClose}>Close</button></div>
  <//>`;
}

/** One request's cause and timeline, loaded when asked for. */
function Details({ id, onClose }: { id: string; onClose: () => void }) {
  const { data, error } = usePoll(() => get<ReleaseRequest>(`/api/releases/${encodeURIComponent(id)}`), [id]);
  return html`<${Modal} title="Release request" onClose=${onClose}>
    ${
      data
        ? html`<p><strong>${data.intent}</strong> by ${data.triggeredBy}${data.cause ? html` — ${data.cause}` : null}</p>
      <${Timeline} states=${data.states} />`
        : html`<${Loading} />`
    }
    <${ErrorNote} error=${error} />
    <div class="buttons"><button type="button" onClick=${onClose}>Close</button></div>
  <//>`;
}

/** Per app and environment: who released what and why, roll back to any release, resume, promote. */
export function AppView({ me, env, app }: { me: Me; env: string; app: string }) {
  const status = usePoll(() => get<Status>(`/api/status${q({ env, app })}`), [env, app], 3000);
  const history = usePoll(
    () => get<Release[]>(`/api/releases${q({ env, app, limit: 50 })}`),
    [env, app],
    3000,
  );
  const matrix = usePoll(loadMatrix, []);
  const [dialog, setDialog] = useState<unknown>(null);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const close = () => {
    setDialog(null);
    void status.refresh();
    void history.refresh();
  };
  const current = status.data?.[app];
  const hold = current ? current.hold : undefined;
  const running = current && 'gitopsRef' in current ? current : undefined;
  const writable = mayWrite(me, env);
  // Where what runs here may go: environments Ferry knows and those the running artifact has a manifest for.
  const runningArtifact = running?.artifactId;
  const artifact = usePoll(
    () =>
      runningArtifact
        ? get<Artifact>(`/api/artifacts/${encodeURIComponent(runningArtifact)}`).catch(() => undefined)
        : Promise.resolve(undefined),
    [runningArtifact],
  );
  const targets = useMemo(
    () =>
      [
        ...new Set([
          ...(matrix.data?.environments ?? []).map((e) => e.env),
          ...(artifact.data?.environments ?? []).filter((m) => m.app === app).map((m) => m.env),
        ]),
      ]
        .filter((e) => e !== env && !e.includes('{{') && mayWrite(me, e))
        .sort(),
    [matrix.data, artifact.data, env, app, me],
  );
  const [promoteTo, setPromoteTo] = useState('');
  const resume = async () => {
    try {
      await post('/api/resume', { env, app });
      setError(undefined);
      void status.refresh();
    } catch (e) {
      setError(e as ApiError);
    }
  };
  return html`<section aria-labelledby="app-h">
    <h1 id="app-h">${env} / ${app}</h1>
    <${ErrorNote} error=${status.error ?? history.error ?? error} />
    ${
      running
        ? html`<p class="current">Running <strong>${versionLabel(running.version)}</strong>${' '}
            ${firstLine(running.version?.message)} · since ${age(running.created)} ago <${Links} release=${running} /></p>`
        : null
    }
    ${
      hold
        ? html`<div class="hold" role="status" data-hold>
            <strong>Held</strong>: ${hold.reason} (by ${hold.by}, ${time(hold.at)}). Automatic releases are paused.
            ${writable ? html`<button type="button" onClick=${resume}>Resume automatic releases</button>` : null}
          </div>`
        : null
    }
    ${
      writable && running && targets.length > 0
        ? html`<form class="inline" onSubmit=${(e: Event) => {
            e.preventDefault();
            if (promoteTo) setDialog({ kind: 'promote', to: promoteTo, artifactId: running.artifactId });
          }}>
            <label for="promote-to">Promote what ${env} runs to</label>
            <select id="promote-to" value=${promoteTo} onChange=${(e: Event) => setPromoteTo((e.target as HTMLSelectElement).value)}>
              <option value="">choose…</option>
              ${targets.map((t) => html`<option value=${t}>${t}</option>`)}
            </select>
            <button type="submit" disabled=${!promoteTo}>Promote…</button>
          </form>`
        : null
    }
    <h2>History</h2>
    ${
      !history.data
        ? html`<${Loading} />`
        : history.data.length === 0
          ? html`<p class="muted">No commits for ${env}/${app}.</p>`
          : html`<div class="scroll"><table class="history">
        <thead><tr><th scope="col">When</th><th scope="col">Why</th><th scope="col">Who</th><th scope="col">Version</th><th scope="col">Gitops</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
        <tbody>${history.data.map((h) => {
          const isCurrent = running?.gitopsRef === h.gitopsRef;
          return html`<tr data-gitops=${h.gitopsRef} class=${h.rolledBack ? 'rolled-back' : ''}>
            <td>${age(h.created)} ago</td>
            <td>${why(h)}${h.rolledBack ? html` <span class="badge plain">rolled back</span>` : null}${isCurrent ? html` <span class="badge ok">running</span>` : null}</td>
            <td>${h.triggeredBy}</td>
            <td title=${h.version?.message ?? ''}>${versionLabel(h.version)} <span class="msg">${firstLine(h.version?.message)}</span></td>
            <td><code>${h.gitopsRef.slice(0, 7)}</code></td>
            <td><div class="actions">
              <button type="button" onClick=${() => setDialog({ kind: 'diff', release: h })}>Diff</button>
              <button type="button" onClick=${() => setDialog({ kind: 'details', id: h.requestId })}>Details</button>
              ${
                writable && !isCurrent && h.intent !== 'delete'
                  ? html`<button type="button" class="danger" onClick=${() => setDialog({ kind: 'rollback', release: h })}>Roll back to this</button>`
                  : null
              }
            </div></td>
          </tr>`;
        })}</tbody></table></div>`
    }
    ${renderDialog(dialog, env, app, close)}
  </section>`;
}

function renderDialog(dialog: unknown, env: string, app: string, close: () => void) {
  const d = dialog as {
    kind: string;
    id?: string;
    to?: string;
    artifactId?: string;
    release?: Release;
  } | null;
  if (!d) return null;
  if (d.kind === 'details' && d.id) return html`<${Details} id=${d.id} onClose=${close} />`;
  if (d.kind === 'diff' && d.release) return html`<${DiffDialog} release=${d.release} onClose=${close} />`;
  if (d.kind === 'rollback' && d.release) {
    return html`<${RollbackDialog} env=${env} app=${app} sha=${d.release.gitopsRef} label=${versionLabel(d.release.version)} onClose=${close} />`;
  }
  if (d.kind === 'promote' && d.to)
    return html`<${PromoteDialog} from=${env} to=${d.to} app=${app} artifactId=${d.artifactId} onClose=${close} />`;
  return null;
}

function PromoteDialog({
  from,
  to,
  app,
  artifactId,
  onClose,
}: {
  from: string;
  to: string;
  app: string;
  artifactId?: string;
  onClose: () => void;
}) {
  const target = useMemo(() => ({ env: to, app, fromEnv: from }), [from, to, app]);
  return html`<${DeployDialog} title=${`Promote ${app}: ${from} → ${to}`} target=${target} explain=${artifactId} onClose=${onClose} />`;
}
