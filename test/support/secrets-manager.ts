import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server speaking the one Secrets Manager call Ferry makes (GetSecretValue, AWS JSON 1.1),
 * so Lambda bundles can be run with AWS_ENDPOINT_URL_SECRETS_MANAGER pointing at it.
 */
export async function startSecretsManager(secrets: Record<string, string>) {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const { SecretId } = JSON.parse(body || '{}') as { SecretId?: string };
      calls.push(`${target} ${SecretId}`);
      const value = SecretId === undefined ? undefined : secrets[SecretId];
      const [status, payload] =
        target === 'secretsmanager.GetSecretValue' && value !== undefined
          ? [200, { ARN: SecretId, Name: 'admin', SecretString: value, VersionId: 'v1' }]
          : [
              400,
              {
                __type: 'ResourceNotFoundException',
                message: "Secrets Manager can't find the specified secret.",
              },
            ];
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(payload));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
