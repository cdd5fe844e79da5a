/** Raw HTTP helpers for checks ari-client cannot express (status codes, missing auth). */
export const basic = (user = 'hotline', pass = 'hotline'): string =>
  `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

export async function ariFetch(
  base: string,
  method: string,
  path: string,
  auth: string | null = basic(),
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${base}/ari${path}`, { method, headers: auth ? { authorization: auth } : {} });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

export async function simFetch(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${base}/sim${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
