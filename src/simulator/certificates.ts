// Self-signed X.509 v3 certificates built with a tiny DER writer, because node:crypto can sign
// but cannot create certificates and the package may not depend on anything outside Node.
import * as crypto from 'node:crypto';
import * as net from 'node:net';

export interface GeneratedCertificate {
  keyPem: string;
  certPem: string;
  /** Hex SHA-1 of the certificate DER (what msal calls `thumbprint`). */
  thumbprintSha1: string;
  /** Hex SHA-256 of the certificate DER (msal `thumbprintSha256`). */
  thumbprintSha256: string;
}

export interface CertificateOptions {
  commonName?: string;
  altNames?: { dns?: string[]; ips?: string[] };
  days?: number;
  keyBits?: number;
}

// ---------- DER encoding ----------

function encodeLength(len: number): Buffer {
  if (len < 0x80) return Buffer.from([len]);
  const bytes: number[] = [];
  let n = len;
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const nullDer = (): Buffer => Buffer.from([0x05, 0x00]);
const octetString = (b: Buffer): Buffer => tlv(0x04, b);
const bitString = (b: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
const utf8String = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 + n, inner);
const booleanDer = (v: boolean): Buffer => Buffer.from([0x01, 0x01, v ? 0xff : 0x00]);

function integer(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && (b[1] & 0x80) === 0) b = b.subarray(1);
  // A set top bit would make the INTEGER negative.
  if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [parts[0] * 40 + parts[1]];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    let v = Math.floor(p / 128);
    while (v > 0) {
      chunk.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(d: Date): Buffer {
  const iso = d.toISOString();
  const year = d.getUTCFullYear();
  const compact = iso.slice(0, 19).replace(/[-:T]/g, '') + 'Z'; // YYYYMMDDHHMMSSZ
  // RFC 5280: UTCTime up to 2049, GeneralizedTime after.
  return year < 2050 ? tlv(0x17, Buffer.from(compact.slice(2), 'ascii')) : tlv(0x18, Buffer.from(compact, 'ascii'));
}

const OID = {
  sha256WithRSA: '1.2.840.113549.1.1.11',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyId: '2.5.29.14',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

function ipBytes(ip: string): Buffer {
  if (net.isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!net.isIPv6(ip)) throw new Error(`not an IP address: ${ip}`);
  const [head, tail = ''] = ip.includes('::') ? ip.split('::') : [ip, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g || '0', 16), i * 2));
  return out;
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), booleanDer(true), octetString(value)) : seq(oid(id), octetString(value));
}

export function generateSelfSignedCertificate(opts: CertificateOptions = {}): GeneratedCertificate {
  const commonName = opts.commonName ?? 'localhost';
  const dns = opts.altNames?.dns ?? ['localhost'];
  const ips = opts.altNames?.ips ?? ['127.0.0.1'];
  const days = opts.days ?? 825;
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: opts.keyBits ?? 2048 });
  const spki = publicKey.export({ type: 'spki', format: 'der' });

  const algId = seq(oid(OID.sha256WithRSA), nullDer());
  const name = seq(
    set(seq(oid(OID.organization), utf8String('MDE simulator'))),
    set(seq(oid(OID.commonName), utf8String(commonName))),
  );
  const notBefore = new Date(Date.now() - 60 * 60 * 1000);
  const notAfter = new Date(Date.now() + days * 86_400_000);
  const serial = crypto.randomBytes(16);
  serial[0] &= 0x7f;

  // Any stable 160-bit value works as subject key identifier; hashing the SPKI is the usual choice.
  const skid = crypto.createHash('sha1').update(spki).digest();

  const sanEntries = [
    ...dns.map((d) => tlv(0x82, Buffer.from(d, 'ascii'))),
    ...ips.map((ip) => tlv(0x87, ipBytes(ip))),
  ];
  const extensions = seq(
    // CA:TRUE lets a client use this very certificate as its trust anchor (`ca: caPem`).
    extension(OID.basicConstraints, true, seq(booleanDer(true))),
    // digitalSignature | keyEncipherment | keyCertSign
    extension(OID.keyUsage, true, tlv(0x03, Buffer.from([0x02, 0xa4]))),
    extension(OID.extKeyUsage, false, seq(oid(OID.serverAuth), oid(OID.clientAuth))),
    extension(OID.subjectKeyId, false, octetString(skid)),
    ...(sanEntries.length ? [extension(OID.subjectAltName, false, seq(...sanEntries))] : []),
  );

  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    algId,
    name,
    seq(time(notBefore), time(notAfter)),
    name,
    spki,
    explicit(3, extensions),
  );
  const signature = crypto.sign('sha256', tbs, privateKey);
  const der = seq(tbs, algId, bitString(signature));

  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  const certPem = `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    keyPem,
    certPem,
    thumbprintSha1: crypto.createHash('sha1').update(der).digest('hex'),
    thumbprintSha256: crypto.createHash('sha256').update(der).digest('hex'),
  };
}

/** Thumbprints of a PEM certificate (hex), as Entra compares them. */
export function certificateThumbprints(certPem: string): { sha1: string; sha256: string; publicKey: crypto.KeyObject } {
  const x = new crypto.X509Certificate(certPem);
  return {
    sha1: crypto.createHash('sha1').update(x.raw).digest('hex'),
    sha256: crypto.createHash('sha256').update(x.raw).digest('hex'),
    publicKey: x.publicKey,
  };
}
