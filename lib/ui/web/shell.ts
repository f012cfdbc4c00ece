import { useEffect, useState } from 'preact/hooks';
import { ActivityView } from './activity.ts';
import { AuditView, PoliciesView, UsersView } from './admin.ts';
import { ApiError, api, session, whenExpired } from './api.ts';
import { AppView } from './app-page.ts';
import { ArtifactsView } from './artifacts.ts';
import { MatrixView } from './matrix.ts';
import type { Me } from './types.ts';
import { html } from './ui.ts';

function Login({ notice, onIn }: { notice?: string | undefined; onIn: (me: Me) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState(notice);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const me = await api<Me>('GET', '/api/me', undefined, token.trim());
      session.save(token.trim());
      onIn(me);
    } catch (err) {
      setError(
        err instanceof ApiError && err.kind === 'expired'
          ? 'That token was not accepted: it is unknown, expired or revoked.'
          : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="login">
    <h1>Ferry</h1>
    <form onSubmit=${submit}>
      <label for="token">Ferry token</label>
      <input id="token" name="token" type="password" autocomplete="off" required value=${token}
        onInput=${(e: Event) => setToken((e.target as HTMLInputElement).value)} autofocus />
      <p class="muted">Kept only in this tab for this session (sessionStorage); never put in a URL.</p>
      ${error ? html`<p class="error expired" role="alert">${error}</p>` : null}
      <button type="submit" class="primary" disabled=${busy}>Sign in</button>
    </form>
  </main>`;
}

const parse = (hash: string) => hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);

function View({ me, route }: { me: Me; route: string[] }) {
  const [page, a, b] = route;
  if (page === 'activity') return html`<${ActivityView} />`;
  if (page === 'artifacts') return html`<${ArtifactsView} me=${me} />`;
  if (page === 'policies') return html`<${PoliciesView} me=${me} />`;
  if (page === 'audit') return html`<${AuditView} />`;
  if (page === 'users') return html`<${UsersView} me=${me} />`;
  if (page === 'apps' && a && b) return html`<${AppView} key=${`${a}/${b}`} me=${me} env=${a} app=${b} />`;
  return html`<${MatrixView} />`;
}

/** Login, then the navigation and the view the URL fragment names (`#/activity`, `#/apps/<env>/<app>`). */
export function Shell() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const [route, setRoute] = useState(parse(location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parse(location.hash));
    window.addEventListener('hashchange', onHash);
    whenExpired((message) => {
      session.clear();
      setNotice(message);
      setMe(null);
    });
    if (!session.token()) setMe(null);
    else
      api<Me>('GET', '/api/me').then(setMe, (e: Error) => {
        setNotice(e.message);
        setMe(null);
      });
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  if (me === undefined) return html`<p class="boot">Loading Ferry…</p>`;
  if (me === null)
    return html`<${Login} notice=${notice} onIn=${(m: Me) => {
      setNotice(undefined);
      setMe(m);
    }} />`;
  const link = (hash: string, label: string, page: string) =>
    html`<a href=${hash} aria-current=${(route[0] || '') === page ? 'page' : undefined}>${label}</a>`;
  return html`<div class="shell">
    <header class="top">
      <a class="brand" href="#/">Ferry</a>
      <nav aria-label="main">
        ${link('#/', 'Environments', '')}
        ${link('#/activity', 'Activity', 'activity')}
        ${link('#/artifacts', 'Artifacts', 'artifacts')}
        ${link('#/policies', 'Policies', 'policies')}
        ${me.may.includes('audit:read') ? link('#/audit', 'Audit', 'audit') : null}
        ${me.may.includes('user:manage') ? link('#/users', 'Users', 'users') : null}
      </nav>
      <span class="who" data-role=${me.role}>${me.login} (${me.role}${me.environments ? `: ${me.environments.join(', ')}` : ''})</span>
      <button type="button" onClick=${() => {
        session.clear();
        setNotice('Signed out.');
        setMe(null);
      }}>Sign out</button>
    </header>
    <main id="main"><${View} me=${me} route=${route} /></main>
  </div>`;
}
