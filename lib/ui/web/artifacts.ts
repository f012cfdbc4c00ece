import { useMemo, useState } from 'preact/hooks';
import { DeployDialog, mayWrite } from './actions.ts';
import { get, q } from './api.ts';
import { age, firstLine, safeUrl, versionLabel } from './format.ts';
import { loadMatrix } from './matrix.ts';
import type { Artifact, Me } from './types.ts';
import { ErrorNote, html, Loading, usePoll } from './ui.ts';

const templated = (name: string) => name.includes('{{');

function DeployArtifact({
  artifact,
  env,
  app,
  from,
  onClose,
}: {
  artifact: Artifact;
  env: string;
  app?: string;
  /** A promotion: the environment that runs this artifact now (the request names it as its cause). */
  from?: string;
  onClose: () => void;
}) {
  const target = useMemo(
    () =>
      from && app ? { env, app, fromEnv: from } : { env, artifactId: artifact.id, ...(app ? { app } : {}) },
    [artifact.id, env, app, from],
  );
  const title = from
    ? `Promote ${versionLabel(artifact.version)}: ${from} → ${env}`
    : `Deploy ${versionLabel(artifact.version)} to ${env}`;
  return html`<${DeployDialog} title=${title} target=${target} explain=${artifact.id} onClose=${onClose} />`;
}

/** Artifacts by repository and branch, newest first; deploy one after seeing its dry run. */
export function ArtifactsView({ me }: { me: Me }) {
  const [filter, setFilter] = useState({ repository: '', branch: '' });
  const [draft, setDraft] = useState(filter);
  const [deploying, setDeploying] = useState<{
    artifact: Artifact;
    env: string;
    app?: string;
    from?: string;
  } | null>(null);
  // Where each artifact runs now, from the matrix: deploying it elsewhere is a promotion from there.
  const matrix = usePoll(loadMatrix, [], 10_000);
  const runsIn = new Map<string, { env: string; app: string }[]>();
  for (const e of matrix.data?.environments ?? []) {
    for (const c of e.apps) {
      const id = c.release?.artifactId;
      if (id) runsIn.set(id, [...(runsIn.get(id) ?? []), { env: c.env, app: c.app }]);
    }
  }
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
          const running = runsIn.get(a.id) ?? [];
          const source = (m: { env: string; app: string }) =>
            running.find(
              (r) =>
                r.app === m.app &&
                r.env !== m.env &&
                !running.some((x) => x.env === m.env && x.app === m.app),
            )?.env;
          return html`<li data-artifact=${a.id}>
            <div class="line"><strong>${versionLabel(a.version)}</strong> <span class="badge plain">${a.version.event}</span>
              <span class="msg">${firstLine(a.version.message)}</span></div>
            <div class="meta">${a.version.authorName ?? ''} · ${age(a.created)} ago ${ci ? html`· <a href=${ci} target="_blank" rel="noopener noreferrer">CI</a>` : null}
              ${running.length > 0 ? html` · runs in ${running.map((r) => `${r.env}/${r.app}`).join(', ')}` : null}</div>
            <div class="actions">${envs.map((m) =>
              mayWrite(me, templated(m.env) ? undefined : m.env) && !templated(m.env)
                ? (() => {
                    const from = templated(m.app) ? undefined : source(m);
                    return html`<button type="button" data-deploy=${m.env} onClick=${() =>
                      setDeploying({
                        artifact: a,
                        env: m.env,
                        ...(templated(m.app) ? {} : { app: m.app }),
                        ...(from ? { from } : {}),
                      })}>${from ? `Promote from ${from} to ${m.env}` : `Deploy to ${m.env}`}${templated(m.app) ? '' : ` (${m.app})`}…</button>`;
                  })()
                : null,
            )}</div>
          </li>`;
        })}</ul></section>`,
    )}
    ${deploying ? html`<${DeployArtifact} ...${deploying} onClose=${() => setDeploying(null)} />` : null}
  </section>`;
}
