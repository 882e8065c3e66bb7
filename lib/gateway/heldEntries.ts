import { STAMP_LENGTH } from '../cache/entry.ts';

/** What the fast path needs of a stored response entry (see `readEntry` in fastHit.ts). */
export interface ReadEntry {
  /** The data's JSON bytes as stored. */
  data: Buffer;
  scope: 'PUBLIC' | 'PRIVATE';
  freshUntil: number;
}

export interface HeldEntry {
  entry: ReadEntry;
  /** The stored value's last bytes, ending with its write stamp: what the script compares. */
  tail: Buffer;
  /** Bytes of the stored value this copy holds on to. */
  size: number;
}

/** How a stamped entry ends: `,"stamp":"<STAMP_LENGTH base64url characters>"}`. */
const STAMPED_TAIL = new RegExp(`,"stamp":"[A-Za-z0-9_-]{${STAMP_LENGTH}}"}$`);
const TAIL_LENGTH = ',"stamp":""}'.length + STAMP_LENGTH;

/**
 * The fast path's copies of response entries it read, by entry key, bounded in bytes (the least
 * recently used go first). A copy is never answered on its own: each hit's one script compares the
 * copy's last bytes (its write's random stamp) with the stored value's and sends the entry only when
 * it differs, so an entry invalidated, expired or written again is seen as exactly as without copies,
 * while an unchanged one (the usual hit) costs Redis and the gateway a few bytes instead of the
 * whole answer. Only entries that end with a stamp are held.
 */
export class HeldEntries {
  readonly #copies = new Map<string, HeldEntry>();
  #bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#copies.size;
  }

  /** The copy held for a key (counted as a use: it moves to the back of the eviction order). */
  get(key: string): HeldEntry | undefined {
    const held = this.#copies.get(key);
    if (held) {
      this.#copies.delete(key);
      this.#copies.set(key, held);
    }
    return held;
  }

  /** Holds a copy of a stored value just read (its `entry` split from `raw`); a value without a stamp is not held. */
  hold(key: string, raw: Buffer, entry: ReadEntry): void {
    this.drop(key);
    if (raw.length > this.maxBytes) return;
    const tail = raw.subarray(raw.length - TAIL_LENGTH);
    if (!STAMPED_TAIL.test(tail.toString('latin1'))) return;
    // Its own memory, outside Node's shared pool: `raw` may be a slice of a larger buffer ioredis
    // read, which would stay alive as long as the copy does.
    const own = Buffer.allocUnsafeSlow(raw.length);
    raw.copy(own);
    const dataStart = entry.data.byteOffset - raw.byteOffset;
    const held: HeldEntry = {
      entry: { ...entry, data: own.subarray(dataStart, dataStart + entry.data.length) },
      tail: own.subarray(own.length - TAIL_LENGTH),
      size: own.length,
    };
    this.#copies.set(key, held);
    this.#bytes += held.size;
    for (const [oldest, copy] of this.#copies) {
      if (this.#bytes <= this.maxBytes) break;
      this.#copies.delete(oldest);
      this.#bytes -= copy.size;
    }
  }

  drop(key: string): void {
    const held = this.#copies.get(key);
    if (!held) return;
    this.#copies.delete(key);
    this.#bytes -= held.size;
  }
}
