// Where pollers keep their checkpoints between deploys and restarts. The file store holds one
// JSON document with a checkpoint per key (trigger node + tenant + source). Writes are atomic
// (temp file + rename) so a crash never leaves half a file, and coalesced: while one write is on
// disk, every later save collapses into one more write of the newest state, so draining 10,000
// alerts costs a handful of writes instead of 10,000.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { LeaseLostError, type SharedState } from './shared-state';

export interface CheckpointStore {
  /** A copy of the stored value (JSON-safe), or undefined when there is none. */
  load(key: string): Promise<unknown>;
  /**
   * Stores `value` under `key`. The value is serialised when the write happens, not when save is
   * called: pass an object that only ever holds what may be persisted (toJSON is honoured).
   * Resolves once a write that includes it is complete.
   */
  save(key: string, value: unknown): Promise<void>;
  remove(key: string): Promise<void>;
  /** Resolves when every save made so far is on disk. */
  flush(): Promise<void>;
}

interface StoreFile {
  version: 1;
  checkpoints: Record<string, unknown>;
}

export interface FileCheckpointStoreOptions {
  /** Told when an existing file could not be read (it is set aside, never silently overwritten). */
  onProblem?: (message: string) => void;
}

export class FileCheckpointStore implements CheckpointStore {
  private entries = new Map<string, unknown>();
  private loaded: Promise<void> | undefined;
  private dirty = false;
  private writing: Promise<void> | undefined;

  constructor(
    readonly file: string,
    private readonly options: FileCheckpointStoreOptions = {},
  ) {}

  async load(key: string): Promise<unknown> {
    await this.read();
    const value = this.entries.get(key);
    return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown);
  }

  async save(key: string, value: unknown): Promise<void> {
    await this.read();
    this.entries.set(key, value);
    return this.scheduleWrite();
  }

  async remove(key: string): Promise<void> {
    await this.read();
    if (!this.entries.delete(key)) return this.flush();
    return this.scheduleWrite();
  }

  async flush(): Promise<void> {
    while (this.writing) await this.writing.catch(() => undefined);
    if (this.dirty) await this.scheduleWrite();
  }

  private read(): Promise<void> {
    this.loaded ??= fs.readFile(this.file, 'utf8').then(
      (text) => {
        const parsed = JSON.parse(text) as Partial<StoreFile>;
        if (!parsed || typeof parsed !== 'object' || !parsed.checkpoints || typeof parsed.checkpoints !== 'object') {
          throw new Error('not a checkpoint file');
        }
        this.entries = new Map(Object.entries(parsed.checkpoints));
      },
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return;
        throw err;
      },
    ).catch(async (err: unknown) => {
      // Unreadable: keep the bytes for a human and start empty, but say so.
      const aside = `${this.file}.unreadable-${Date.now()}`;
      await fs.rename(this.file, aside).catch(() => undefined);
      this.entries = new Map();
      this.options.onProblem?.(
        `The trigger checkpoint file ${this.file} could not be read (${err instanceof Error ? err.message : String(err)}); it was moved to ${aside} and the triggers start from their look-back.`,
      );
    });
    return this.loaded;
  }

  private scheduleWrite(): Promise<void> {
    this.dirty = true;
    this.writing ??= this.drain();
    return this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        try {
          await this.writeOnce();
        } catch (err) {
          this.dirty = true; // the next save or flush tries again
          throw err;
        }
      }
    } finally {
      this.writing = undefined;
    }
  }

  private async writeOnce(): Promise<void> {
    const doc: StoreFile = { version: 1, checkpoints: Object.fromEntries(this.entries) };
    const text = JSON.stringify(doc);
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, text, { mode: 0o600 });
    await fs.rename(tmp, this.file);
  }
}

/** In-process store (tests, and pollers that need no persistence). Loads return deep copies. */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly entries = new Map<string, unknown>();

  async load(key: string): Promise<unknown> {
    const value = this.entries.get(key);
    return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown);
  }

  async save(key: string, value: unknown): Promise<void> {
    this.entries.set(key, value);
  }

  async remove(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async flush(): Promise<void> {}
}

const fileStores = new Map<string, FileCheckpointStore>();

/** One store per file in this process, so two writers never race on the same file. */
export function fileCheckpointStore(file: string, options: FileCheckpointStoreOptions = {}): FileCheckpointStore {
  const resolved = path.resolve(file);
  let store = fileStores.get(resolved);
  if (!store) {
    store = new FileCheckpointStore(resolved, options);
    fileStores.set(resolved, store);
  }
  return store;
}

/**
 * Checkpoints in the shared state (Redis), written only while this instance holds the trigger's
 * lease (fenced by its token): a holder that lost the lease cannot move the checkpoint back or
 * forward under the new holder. Each save is one round trip, awaited by the poller
 * (saveBeforeEmit), so what the next holder reads is exactly what was handed on.
 */
export class SharedCheckpointStore implements CheckpointStore {
  constructor(
    private readonly shared: SharedState,
    private readonly lease: string,
    private readonly token: string,
  ) {}

  async load(key: string): Promise<unknown> {
    const text = await this.shared.loadValue(`checkpoint:${key}`);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return undefined; // unreadable: the trigger starts from its look-back, as with a fresh file
    }
  }

  async save(key: string, value: unknown): Promise<void> {
    if (!(await this.shared.saveFenced(`checkpoint:${key}`, JSON.stringify(value), this.lease, this.token))) throw new LeaseLostError();
  }

  async remove(key: string): Promise<void> {
    if (!(await this.shared.removeFenced(`checkpoint:${key}`, this.lease, this.token))) throw new LeaseLostError();
  }

  async flush(): Promise<void> {}
}
