import type { IncomingMessage, ServerResponse } from 'node:http';
import { startTextServer } from './local-server.ts';

export interface SlackCall {
  /** `chat.postMessage`, `chat.update`, … */
  method: string;
  authorization: string | undefined;
  contentType: string | undefined;
  /** The form (or JSON) fields as received. */
  fields: Record<string, string>;
  /** What the server answered. */
  status: number;
}

export interface SlackMessage {
  channel: string;
  ts: string;
  text: string;
  /** Every text the message had, first to last. */
  history: string[];
}

export interface FakeSlack {
  /** The Web API base URL, for WebClient's `slackApiUrl`. */
  url: string;
  calls: SlackCall[];
  /** Messages by ts, as they are now. */
  messages: Map<string, SlackMessage>;
  /** Answers the next `count` calls with 429 + `Retry-After: 1`, or with a 500. */
  failNext(count: number, status: 429 | 500): void;
  close(): Promise<void>;
}

/**
 * A local Slack Web API with the two methods Ferry calls. Like Slack it takes form-encoded or JSON bodies,
 * answers HTTP 200 with `ok: false` for an unknown token or message, and 429 with `Retry-After` when rate
 * limited. A channel name is answered with an id, as Slack does: chat.update must be given the id.
 */
export async function startFakeSlack(token: string): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  const messages = new Map<string, SlackMessage>();
  const failures: (429 | 500)[] = [];
  let counter = 0;

  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
    const contentType = req.headers['content-type'];
    const fields: Record<string, string> = contentType?.startsWith('application/json')
      ? (JSON.parse(body || '{}') as Record<string, string>)
      : Object.fromEntries(new URLSearchParams(body));
    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      calls.push({ method, authorization: req.headers.authorization, contentType, fields, status });
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(payload));
    };
    const failure = failures.shift();
    if (failure === 429) return answer(429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1' });
    if (failure === 500) return answer(500, { ok: false, error: 'internal_error' });
    if (req.method !== 'POST') return answer(405, { ok: false, error: 'method_not_allowed' });
    if (req.headers.authorization !== `Bearer ${token}`)
      return answer(200, { ok: false, error: 'invalid_auth' });
    const channel = channelId(fields.channel);
    if (method === 'chat.postMessage') {
      if (!channel) return answer(200, { ok: false, error: 'channel_not_found' });
      if (!fields.text) return answer(200, { ok: false, error: 'no_text' });
      counter += 1;
      const ts = `${Math.floor(Date.now() / 1000)}.${String(counter).padStart(6, '0')}`;
      messages.set(ts, { channel, ts, text: fields.text, history: [fields.text] });
      return answer(200, { ok: true, channel, ts, message: { type: 'message', text: fields.text, ts } });
    }
    if (method === 'chat.update') {
      const message = fields.ts ? messages.get(fields.ts) : undefined;
      if (!message || message.channel !== fields.channel) {
        return answer(200, { ok: false, error: 'message_not_found' });
      }
      message.text = fields.text ?? '';
      message.history.push(message.text);
      return answer(200, { ok: true, channel: message.channel, ts: message.ts, text: message.text });
    }
    return answer(200, { ok: false, error: 'unknown_method' });
  };

  const server = await startTextServer(handle);
  return {
    url: `${server.origin}/api/`,
    calls,
    messages,
    failNext: (count, status) => failures.push(...Array<429 | 500>(count).fill(status)),
    close: server.close,
  };
}

/** `#deploys` → a stable fake id; an id (`C…`) stays as it is. */
function channelId(channel: string | undefined): string | undefined {
  if (!channel) return undefined;
  if (/^[CDG][A-Z0-9]+$/.test(channel)) return channel;
  return `C${Buffer.from(channel.replace(/^#/, '')).toString('hex').toUpperCase()}`;
}
