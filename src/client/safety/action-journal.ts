// A small JSON file under the user directory that remembers destructive machine actions from the
// moment their request is about to leave until the flow has its result, plus the isolation ledger,
// so a redeploy or restart resumes them instead of forgetting (or repeating) them.
//
// It holds what resuming needs and nothing else: ids, the device, the action type, times, a hash
// of the comment, and two routing fields of the triggering message (_msgid, topic). Never the
// message itself: a message can carry msg.token, msg.headers.Authorization or anything else a flow
// put there, and this file is plain text on disk.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';

/** The only message fields a resumed result carries over from its triggering message. */
export interface RoutingFields {
  _msgid?: string;
  topic?: string;
}

export interface ActionRecord {
  /** Our own id for this request (never sent to MDE); errors and logs name it. */
  requestId: string;
  /** MDE machine action type: Isolate, Unisolate ... */
  actionType: string;
  /** The node's word for it (isolate / release), for status texts. */
  verb: string;
  /** Isolation type (Full / Selective) where the action has one. */
  scope?: string | null;
  machineId: string;
  computerDnsName?: string | null;
  /** When the request was about to be sent (ms since epoch): a lost answer is looked up from here. */
  intentAt: number;
  /** SHA-256 (hex) of the comment sent, to recognise our action among others without storing the text. */
  commentSha256?: string;
  /** Set once MDE's answer, a join or a lookup named the machine action. */
  actionId?: string;
  joined?: boolean;
  recovered?: boolean;
  /** Stop waiting at (ms since epoch). */
  deadline: number;
  msg: RoutingFields;
}

interface JournalFile {
  version: 2;
  records: Record<string, ActionRecord[]>;
  guards: Record<string, unknown>;
}

const empty = (): JournalFile => ({ version: 2, records: {}, guards: {} });

const MAX_TOPIC_LENGTH = 256;
/** Things a credential looks like: an Authorization value, a JWT, an Entra client secret. */
const CREDENTIAL_PATTERNS = [
  /\b(bearer|basic)\s+\S/i,
  /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}/,
  /[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{20,}/,
  /\b(client[_-]?secret|password|access[_-]?token|authorization)\b\s*[:=]/i,
];

export function looksLikeCredential(text: string): boolean {
  return CREDENTIAL_PATTERNS.some((re) => re.test(text));
}

/** The message's id and topic, when they are short plain values that look like no credential. */
export function routingFields(msg: Record<string, unknown>): RoutingFields {
  const out: RoutingFields = {};
  const id = msg._msgid;
  if (typeof id === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(id)) out._msgid = id;
  const topic = msg.topic;
  if (typeof topic === 'string' && topic.length <= MAX_TOPIC_LENGTH && !looksLikeCredential(topic)) out.topic = topic;
  return out;
}

function finiteNumber(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

/** Keeps only the known fields of a record read from disk (and drops records that cannot resume). */
function cleanRecord(raw: unknown): ActionRecord | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.machineId !== 'string') return undefined;
  const actionId = typeof r.actionId === 'string' ? r.actionId : undefined;
  const verb = r.verb === 'release' ? 'release' : typeof r.verb === 'string' ? r.verb : 'isolate';
  const actionType = typeof r.actionType === 'string' ? r.actionType : verb === 'release' ? 'Unisolate' : 'Isolate';
  // A version-1 record is a pending wait (it always had its action id); version 2 has the intent time.
  const intentAt = finiteNumber(r.intentAt, finiteNumber(r.startedAt, 0));
  if (!actionId && !intentAt) return undefined;
  const record: ActionRecord = {
    requestId: typeof r.requestId === 'string' ? r.requestId : randomUUID(),
    actionType,
    verb,
    machineId: r.machineId,
    intentAt,
    deadline: finiteNumber(r.deadline, intentAt),
    msg: routingFields((r.msg && typeof r.msg === 'object' ? r.msg : {}) as Record<string, unknown>),
  };
  if (typeof r.scope === 'string') record.scope = r.scope;
  if (typeof r.computerDnsName === 'string') record.computerDnsName = r.computerDnsName;
  if (typeof r.commentSha256 === 'string') record.commentSha256 = r.commentSha256;
  if (actionId) record.actionId = actionId;
  if (r.joined === true) record.joined = true;
  if (r.recovered === true) record.recovered = true;
  return record;
}

export class ActionJournal {
  private data: JournalFile = empty();
  private loaded: Promise<void> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  private load(): Promise<void> {
    // A missing or unreadable journal starts empty: it only ever holds work in progress.
    this.loaded ??= fs
      .readFile(this.file, 'utf8')
      .then(async (text) => {
        const parsed = JSON.parse(text) as { version?: number; records?: Record<string, unknown[]>; pending?: Record<string, unknown[]>; guards?: Record<string, unknown> };
        const data = empty();
        data.guards = parsed.guards && typeof parsed.guards === 'object' ? parsed.guards : {};
        // Version 1 kept whole messages under `pending` (tokens included): read only the known
        // fields and write the file again at once, so what an older version stored does not stay.
        const source = parsed.version === 2 ? parsed.records : parsed.pending;
        for (const [owner, list] of Object.entries(source ?? {})) {
          const records = (Array.isArray(list) ? list : []).map(cleanRecord).filter((r): r is ActionRecord => r !== undefined);
          if (records.length) data.records[owner] = records;
        }
        this.data = data;
        if (parsed.version !== 2) await this.save();
      })
      .catch(() => {
        this.data = empty();
      });
    return this.loaded;
  }

  /** Reads the file now (rewriting one left by an older version), rather than on first use. */
  async open(): Promise<void> {
    await this.load();
  }

  async recordsFor(ownerId: string): Promise<ActionRecord[]> {
    await this.load();
    return (this.data.records[ownerId] ?? []).map((r) => structuredClone(r));
  }

  async add(ownerId: string, record: ActionRecord): Promise<void> {
    await this.load();
    const list = (this.data.records[ownerId] ??= []);
    const clean = cleanRecord(record);
    if (clean && !list.some((r) => r.requestId === record.requestId)) list.push(clean);
    await this.save();
  }

  async update(ownerId: string, requestId: string, patch: Partial<Pick<ActionRecord, 'actionId' | 'joined' | 'recovered' | 'deadline'>>): Promise<void> {
    await this.load();
    const record = this.data.records[ownerId]?.find((r) => r.requestId === requestId);
    if (!record) return;
    Object.assign(record, patch);
    await this.save();
  }

  async remove(ownerId: string, requestId: string): Promise<void> {
    await this.load();
    const list = this.data.records[ownerId];
    if (!list) return;
    this.data.records[ownerId] = list.filter((r) => r.requestId !== requestId);
    if (this.data.records[ownerId].length === 0) delete this.data.records[ownerId];
    await this.save();
  }

  async guardState(ownerId: string): Promise<unknown> {
    await this.load();
    return this.data.guards[ownerId];
  }

  async saveGuardState(ownerId: string, state: unknown): Promise<void> {
    await this.load();
    this.data.guards[ownerId] = state;
    await this.save();
  }

  /** Writes are serialised and atomic (temp file + rename) so a crash never leaves half a file. */
  private save(): Promise<void> {
    const text = JSON.stringify(this.data, null, 1);
    // One failed write (disk full, permissions) must not stop every later one.
    this.writing = this.writing.catch(() => undefined).then(async () => {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await fs.writeFile(tmp, text, { mode: 0o600 });
      await fs.rename(tmp, this.file);
    });
    return this.writing;
  }
}
