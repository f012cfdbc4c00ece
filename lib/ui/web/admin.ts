import { useState } from 'preact/hooks';
import { mayWrite } from './actions.ts';
import { type ApiError, api, get, post } from './api.ts';
import { time } from './format.ts';
import { loadMatrix } from './matrix.ts';
import type { AuditEntry, Me, Policy } from './types.ts';
import { ErrorNote, html, Loading, usePoll } from './ui.ts';

/** A destructive button that asks once more in place (no browser `confirm`, which a keyboard user loses). */
function ConfirmButton({ label, what, onConfirm }: { label: string; what: string; onConfirm: () => void }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return html`<button type="button" class="danger" onClick=${() => setAsking(true)}>${label}</button>`;
  }
  return html`<span class="confirm" role="group" aria-label=${`confirm: ${what}`}>
    ${what}?
    <button type="button" class="danger" autofocus onClick=${() => {
      setAsking(false);
      onConfirm();
    }}>Yes, ${label.toLowerCase()}</button>
    <button type="button" onClick=${() => setAsking(false)}>Keep</button>
  </span>`;
}

const field = (set: (v: string) => void) => (e: Event) =>
  set((e.target as HTMLInputElement | HTMLSelectElement).value);

/** Create or replace an auto-release (deployers and admins) or a branch restriction (admins). */
function PolicyForm({ me, onSaved }: { me: Me; onSaved: () => void }) {
  const admin = me.may.includes('env:manage');
  const [kind, setKind] = useState('auto-release');
  const [env, setEnv] = useState(me.environments?.[0] ?? '');
  const [app, setApp] = useState('');
  const [branch, setBranch] = useState('');
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [saved, setSaved] = useState<string | undefined>(undefined);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const rule = await post<Policy>('/api/policies', { kind, env, branch, ...(app ? { app } : {}) });
      setError(undefined);
      setSaved(rule.id);
      setBranch('');
      onSaved();
    } catch (err) {
      setSaved(undefined);
      setError(err as ApiError);
    }
  };
  const restriction = kind === 'branch-restriction';
  return html`<form class="grid" aria-label="add a policy" onSubmit=${submit} onInput=${() => setSaved(undefined)}>
    <label>Kind<select name="kind" value=${kind} onChange=${field(setKind)}>
      <option value="auto-release">auto-release</option>
      ${admin ? html`<option value="branch-restriction">branch-restriction</option>` : null}
    </select></label>
    <label>Environment<input name="env" required value=${env} onInput=${field(setEnv)} placeholder="staging" /></label>
    <label>App<input name="app" required=${!restriction} value=${app} onInput=${field(setApp)}
      placeholder=${restriction ? 'every app' : 'web'} /></label>
    <label>${restriction ? 'Branch (regular expression)' : 'Branch (name or glob)'}<input name="branch" required
      value=${branch} onInput=${field(setBranch)} placeholder=${restriction ? '^main$' : 'main'} /></label>
    <button type="submit" class="primary">Save policy</button>
    ${saved ? html`<p class="muted" role="status">Saved ${saved}.</p>` : null}
    <${ErrorNote} error=${error} />
  </form>`;
}

/** Who may remove a rule, as the API decides it: install restrictions never, branch restrictions admins. */
const mayRemove = (me: Me, p: Policy) =>
  p.source === 'api' &&
  mayWrite(me, p.env) &&
  (p.kind !== 'branch-restriction' || me.may.includes('env:manage'));

/** Policies in force, branch restrictions among them, and every hold; editable as the token allows. */
export function PoliciesView({ me }: { me: Me }) {
  const policies = usePoll(() => get<Policy[]>('/api/policies'), [], 10_000);
  const matrix = usePoll(loadMatrix, [], 5000);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const remove = async (id: string) => {
    try {
      await api('DELETE', `/api/policies/${encodeURIComponent(id)}`);
      setError(undefined);
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
    <h2>Policies and branch restrictions</h2>
    ${
      !policies.data
        ? policies.error
          ? null
          : html`<${Loading} />`
        : policies.data.length === 0
          ? html`<p class="muted">No policies: releases happen only when asked for (and by manifest deploy rules).</p>`
          : html`<div class="scroll"><table class="policies"><thead><tr><th scope="col">Kind</th><th scope="col">Env</th><th scope="col">App</th><th scope="col">Branch</th><th scope="col">Set by</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
        <tbody>${policies.data.map(
          (
            p,
          ) => html`<tr data-policy=${p.id}><td>${p.kind}</td><td>${p.env}</td><td>${p.app ?? 'every app'}</td><td><code>${p.branch}</code></td>
            <td>${p.source === 'install' ? 'install (fixed)' : `${p.createdBy ?? ''}${p.createdAt ? `, ${time(p.createdAt)}` : ''}`}</td>
            <td>${mayRemove(me, p) ? html`<${ConfirmButton} label="Remove" what=${`Remove ${p.id}`} onConfirm=${() => remove(p.id)} />` : null}</td></tr>`,
        )}</tbody></table></div>`
    }
    ${mayWrite(me) ? html`<h3>Add or replace a policy</h3><${PolicyForm} me=${me} onSaved=${() => void policies.refresh()} />` : null}
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
        : html`<div class="scroll"><table class="audit"><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Detail</th></tr></thead>
      <tbody>${data.map(
        (a) => html`<tr><td>${time(a.at)}</td><td>${a.actor}</td><td>${a.action}</td><td>${a.target}</td>
          <td>${Object.entries(a.detail ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}</td></tr>`,
      )}</tbody></table></div>`
    }
  </section>`;
}

interface UserRow {
  login: string;
  name?: string;
  role: string;
  environments?: string[];
  expiresAt?: string;
  createdAt: string;
  createdBy: string;
}

const ROLES = ['viewer', 'deployer', 'ci', 'flux', 'admin'];

/** Users and their roles (admins): add one (its token shown this once), remove one. */
export function UsersView({ me }: { me: Me }) {
  const users = usePoll(() => get<UserRow[]>('/api/users'), [], 10_000);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [login, setLogin] = useState('');
  const [role, setRole] = useState('viewer');
  const [envs, setEnvs] = useState('');
  const [expires, setExpires] = useState('');
  const [issued, setIssued] = useState<{ login: string; token: string } | undefined>(undefined);
  const create = async (e: Event) => {
    e.preventDefault();
    const environments = envs
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    try {
      const made = await post<{ login: string; token: string }>('/api/user', {
        login: login.trim(),
        role,
        ...(environments.length > 0 ? { environments } : {}),
        ...(expires ? { expiresAt: new Date(`${expires}T23:59:59Z`).toISOString() } : {}),
      });
      setIssued({ login: made.login, token: made.token });
      setError(undefined);
      setLogin('');
      void users.refresh();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  const remove = async (name: string) => {
    try {
      await api('DELETE', `/api/user/${encodeURIComponent(name)}`);
      setError(undefined);
      void users.refresh();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return html`<section aria-labelledby="users-h">
    <h1 id="users-h">Users</h1>
    <${ErrorNote} error=${users.error ?? error} />
    ${
      !users.data
        ? users.error
          ? null
          : html`<${Loading} />`
        : html`<div class="scroll"><table class="users"><thead><tr><th scope="col">Login</th><th scope="col">Role</th><th scope="col">Environments</th><th scope="col">Expires</th><th scope="col">Added</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
      <tbody>${users.data.map(
        (
          u,
        ) => html`<tr data-user=${u.login}><td>${u.login}${u.name ? ` (${u.name})` : ''}</td><td>${u.role}</td>
          <td>${u.environments?.join(', ') ?? 'all'}</td><td>${u.expiresAt ? time(u.expiresAt) : 'never'}</td>
          <td>${u.createdBy}, ${time(u.createdAt)}</td>
          <td>${u.login === me.login ? null : html`<${ConfirmButton} label="Remove" what=${`Remove ${u.login} and revoke its token`} onConfirm=${() => remove(u.login)} />`}</td></tr>`,
      )}</tbody></table></div>`
    }
    <h2>Add a user</h2>
    <form class="grid" aria-label="add a user" onSubmit=${create}>
      <label>Login<input name="login" required value=${login} onInput=${field(setLogin)} /></label>
      <label>Role<select name="role" value=${role} onChange=${field(setRole)}>
        ${ROLES.map((r) => html`<option value=${r}>${r}</option>`)}
      </select></label>
      <label>Environments<input name="environments" value=${envs} onInput=${field(setEnvs)} placeholder="all (or staging, dev)" /></label>
      <label>Expires<input name="expires" type="date" value=${expires} onInput=${field(setExpires)} /></label>
      <button type="submit" class="primary">Add user</button>
    </form>
    ${
      issued
        ? html`<div class="note" role="status" data-issued=${issued.login}>
            <p>Token for <strong>${issued.login}</strong>, shown this once (Ferry keeps only its hash):</p>
            <p><code class="token-once">${issued.token}</code></p>
            <button type="button" onClick=${() => setIssued(undefined)}>I have copied it</button>
          </div>`
        : null
    }
  </section>`;
}
