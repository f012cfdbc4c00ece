import { useMemo, useState } from 'preact/hooks';
import { DeployDialog, mayWrite } from './actions.ts';
import { get, q } from './api.ts';
import { age, firstLine, safeUrl, versionLabel } from './format.ts';
import type { Artifact, Me } from './types.ts';
import { ErrorNote, html, Loading, usePoll } from './ui.ts';

const templated = (name: string) => name.includes('{{');

function DeployArtifact({
  artifact,
  env,
  app,
  onClose,
}: {
  artifact: Artifact;
  env: string;
  app?: string;
  onClose: () => void;
}) {
  const target = useMemo(
    () => ({ env, artifactId: artifact.id, ...(app ? { app } : {}) }),
    [artifact.id, env, app],
  );
  return html`<${DeployDialog} title=${`Deploy ${versionLabel(artifact.version)} to ${env}`} target=${target} onClose=${onClose} />`;
}

/** Artifacts by repository and branch, newest first; deploy one after seeing its dry run. */
export function ArtifactsView({ me }: { me: Me }) {
  const [filter, setFilter] = useState({ repository: '', branch: '' });
  const [draft, setDraft] = useState(filter);
  const [deploying, setDeploying] = useState<{ artifact: Artifact; env: string; app?: string } | null>(null);
  const { data, error } = usePoll(
    () =>
      get<Artifact[]>(
        `/api/artifacts${q({ limit: 50, repository: filter.repository, branch: filter.branch })}`,
      ),
    [filter.repository, filter.branch],
    10_000,
  );
  const groups = new Map<string, Artifact[]>();
  for (const a of data ?? []) {
    const key = `${a.version.repositoryName} · ${a.version.branch || a.version.tag || a.version.event}`;
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  const input = (name: 'repository' | 'branch') => (e: Event) =>
    setDraft({ ...draft, [name]: (e.target as HTMLInputElement).value.trim() });
  return html`<section aria-labelledby="artifacts-h">
    <h1 id="artifacts-h">Artifacts</h1>
    <form class="inline" role="search" onSubmit=${(e: Event) => {
      e.preventDefault();
      setFilter(draft);
    }}>
      <label for="f-repo">Repository</label><input id="f-repo" value=${draft.repository} onInput=${input('repository')} placeholder="owner/name" />
      <label for="f-branch">Branch</label><input id="f-branch" value=${draft.branch} onInput=${input('branch')} placeholder="main" />
      <button type="submit">Filter</button>
    </form>
    <${ErrorNote} error=${error} />
    ${!data ? html`<${Loading} />` : data.length === 0 ? html`<p class="empty">No artifacts${filter.repository || filter.branch ? ' match' : ' yet'}.</p>` : null}
    ${[...groups].map(
      ([key, list]) => html`<section class="group"><h2>${key}</h2>
        <ul class="artifacts">${list.map((a) => {
          const ci = safeUrl(a.version.url);
          const envs = [...new Map(a.environments.map((m) => [`${m.env}/${m.app}`, m])).values()];
          return html`<li data-artifact=${a.id}>
            <div class="line"><strong>${versionLabel(a.version)}</strong> <span class="badge plain">${a.version.event}</span>
              <span class="msg">${firstLine(a.version.message)}</span></div>
            <div class="meta">${a.version.authorName ?? ''} · ${age(a.created)} ago ${ci ? html`· <a href=${ci} target="_blank" rel="noopener noreferrer">CI</a>` : null}</div>
            <div class="actions">${envs.map((m) =>
              mayWrite(me, templated(m.env) ? undefined : m.env) && !templated(m.env)
                ? html`<button type="button" data-deploy=${m.env} onClick=${() =>
                    setDeploying({
                      artifact: a,
                      env: m.env,
                      ...(templated(m.app) ? {} : { app: m.app }),
                    })}>Deploy to ${m.env}${templated(m.app) ? '' : ` (${m.app})`}…</button>`
                : null,
            )}</div>
          </li>`;
        })}</ul></section>`,
    )}
    ${deploying ? html`<${DeployArtifact} ...${deploying} onClose=${() => setDeploying(null)} />` : null}
  </section>`;
}
