// A small JSON file that remembers machine actions still being waited on, and the isolation
// ledger, so a redeploy or restart resumes them instead of forgetting (or repeating) them.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export interface PendingActionRecord {
  actionId: string;
  verb: 'isolate' | 'release';
  machineId: string;
  computerDnsName?: string | null;
  startedAt: number;
  deadline: number;
  /** JSON-safe copy of the triggering message (without req/res), so the result can be sent on. */
  msg?: Record<string, unknown>;
}

interface JournalFile {
  version: 1;
  pending: Record<string, PendingActionRecord[]>;
  guards: Record<string, unknown>;
}

const EMPTY: JournalFile = { version: 1, pending: {}, guards: {} };

export class ActionJournal {
  private data: JournalFile = structuredClone(EMPTY);
  private loaded: Promise<void> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  private load(): Promise<void> {
    // A missing or unreadable journal starts empty: it only ever holds work in progress.
    this.loaded ??= fs
      .readFile(this.file, 'utf8')
      .then((text) => {
        const parsed = JSON.parse(text) as Partial<JournalFile>;
        this.data = { version: 1, pending: parsed.pending ?? {}, guards: parsed.guards ?? {} };
      })
      .catch(() => {
        this.data = structuredClone(EMPTY);
      });
    return this.loaded;
  }

  async pendingFor(ownerId: string): Promise<PendingActionRecord[]> {
    await this.load();
    return [...(this.data.pending[ownerId] ?? [])];
  }

  async addPending(ownerId: string, record: PendingActionRecord): Promise<void> {
    await this.load();
    const list = (this.data.pending[ownerId] ??= []);
    if (!list.some((r) => r.actionId === record.actionId)) list.push(record);
    await this.save();
  }

  async removePending(ownerId: string, actionId: string): Promise<void> {
    await this.load();
    const list = this.data.pending[ownerId];
    if (!list) return;
    this.data.pending[ownerId] = list.filter((r) => r.actionId !== actionId);
    if (this.data.pending[ownerId].length === 0) delete this.data.pending[ownerId];
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
    this.writing = this.writing.then(async () => {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await fs.writeFile(tmp, text, { mode: 0o600 });
      await fs.rename(tmp, this.file);
    });
    return this.writing;
  }
}

/** JSON-safe copy of a message for the journal: drops req/res and anything that does not serialise. */
export function snapshotMessage(msg: Record<string, unknown>, maxBytes = 64 * 1024): Record<string, unknown> | undefined {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(msg)) {
    if (key === 'req' || key === 'res' || key === '_msgid') continue;
    try {
      const text = JSON.stringify(value);
      if (text !== undefined) copy[key] = JSON.parse(text);
    } catch {
      // functions, sockets and cycles are left behind on purpose
    }
  }
  return JSON.stringify(copy).length <= maxBytes ? copy : undefined;
}
