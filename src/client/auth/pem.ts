// PEM clean-up for values pasted into single-line fields (newlines turned into spaces, CRLF,
// stray indentation). Returns '' for empty input; never logs the value.
import { MdeInputError } from '../errors';

const BLOCK_RE = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/**
 * Normalises one or more PEM blocks. `label` is the expected kind: 'CERTIFICATE' or
 * 'PRIVATE KEY' (also accepts RSA / EC / ENCRYPTED PRIVATE KEY). A bare base64 body is
 * wrapped with `-----BEGIN <label>-----`.
 */
export function normalizePem(value: string | undefined | null, label: 'CERTIFICATE' | 'PRIVATE KEY'): string {
  if (value === undefined || value === null) return '';
  const text = String(value).replace(/\\n/g, '\n').trim();
  if (!text) return '';
  const blocks: string[] = [];
  for (const m of text.matchAll(BLOCK_RE)) {
    const kind = m[1]!;
    if (label === 'CERTIFICATE' ? kind !== 'CERTIFICATE' : !/PRIVATE KEY$/.test(kind)) continue;
    const body = m[2]!;
    if (/:/.test(body)) {
      // Legacy encrypted PEM with Proc-Type / DEK-Info headers: keep line structure.
      const lines = body.split(/\r?\n/).map((l) => l.trim()).filter((l, i, a) => l || (i > 0 && a[i - 1]!.includes(':')));
      blocks.push(`-----BEGIN ${kind}-----\n${lines.join('\n')}\n-----END ${kind}-----`);
      continue;
    }
    blocks.push(wrap(kind, body));
  }
  if (blocks.length) return blocks.join('\n') + '\n';
  if (/-----BEGIN/.test(text)) {
    throw new MdeInputError(label === 'CERTIFICATE' ? 'The text does not contain a PEM certificate (-----BEGIN CERTIFICATE-----).' : 'The text does not contain a PEM private key (a block that starts with BEGIN ... PRIVATE KEY).');
  }
  const b64 = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
    throw new MdeInputError(label === 'CERTIFICATE' ? 'The certificate is not PEM or base64 text.' : 'The private key is not PEM or base64 text.');
  }
  return wrap(label, b64) + '\n';
}

function wrap(kind: string, body: string): string {
  const b64 = body.replace(/\s+/g, '');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${kind}-----\n${lines.join('\n')}\n-----END ${kind}-----`;
}
