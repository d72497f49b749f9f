/**
 * Follows a file another process appends to (a peer's log): every `intervalMs` it reads the bytes
 * appended since the last read and hands over the complete lines; a partial last line waits for
 * its newline. Reads never overlap; `drain()` reads up to the current end at once.
 */
import { type FileHandle, open } from "node:fs/promises";

export interface FileFollower {
  /** Reads what has been appended so far and hands over its complete lines before resolving. */
  drain(): Promise<void>;
  /** Total bytes and complete lines read so far. */
  progress(): { readonly bytes: number; readonly lines: number };
  /** Stops reading (after a last `drain()`) and closes the file. Idempotent. */
  stop(): Promise<void>;
}

const CHUNK_BYTES = 1 << 20;
const NEWLINE = 0x0a;

/** What the follower tells its owner. */
export interface FollowerCallbacks {
  /** Each read's complete lines, without their newline. */
  onLines(lines: readonly string[]): void;
  /** After every read, even one that found nothing new. */
  onRead(): void;
  /** Once, when a read fails; nothing is read after that. */
  onError(error: unknown): void;
}

/** Follows `path` from its first byte. */
export async function followFile(
  path: string,
  callbacks: FollowerCallbacks,
  intervalMs = 20,
): Promise<FileFollower> {
  const file: FileHandle = await open(path, "r");
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let position = 0;
  let lineCount = 0;
  let carry: Buffer = Buffer.alloc(0);
  let failure: unknown;
  let stopped: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const readAppended = async (): Promise<void> => {
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, CHUNK_BYTES, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const data =
        carry.length === 0
          ? buffer.subarray(0, bytesRead)
          : Buffer.concat([carry, buffer.subarray(0, bytesRead)]);
      const lastNewline = data.lastIndexOf(NEWLINE);
      if (lastNewline === -1) {
        carry = Buffer.from(data);
        continue;
      }
      carry = Buffer.from(data.subarray(lastNewline + 1));
      const lines = data.toString("utf8", 0, lastNewline).split("\n");
      lineCount += lines.length;
      callbacks.onLines(lines);
    }
    callbacks.onRead();
  };

  // One read at a time: every read is chained after the previous one.
  let reading: Promise<void> = Promise.resolve();
  const read = (): Promise<void> => {
    reading = reading.then(async () => {
      if (failure !== undefined) return;
      try {
        await readAppended();
      } catch (error) {
        failure = error;
        callbacks.onError(error);
      }
    });
    return reading.then(() => {
      if (failure !== undefined) throw failure;
    });
  };
  const tick = () => {
    timer = setTimeout(() => {
      void read()
        .catch(() => undefined)
        .then(() => {
          if (stopped === undefined && failure === undefined) tick();
        });
    }, intervalMs);
  };
  tick();

  return {
    drain: read,
    progress: () => ({ bytes: position - carry.length, lines: lineCount }),
    stop() {
      stopped ??= (async () => {
        clearTimeout(timer);
        await read().catch(() => undefined);
        await file.close();
      })();
      return stopped;
    },
  };
}
