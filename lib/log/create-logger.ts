/**
 * Builds the process logger from the `log_level`, `log_path` and `log_format` settings. The
 * logger is created once by a function's shell and passed down; nothing logs through a global.
 */
import { openSync } from "node:fs";
import pino, { type DestinationStream, type Logger } from "pino";
import { formatTextLine } from "./text-format.js";

export interface LogSettings {
  /** A logrus level name, any case; `warning` and `panic` map to pino's `warn` and `fatal`. */
  readonly level: string;
  /** File to append to (created with mode 0640); empty or absent: stdout. */
  readonly path?: string;
  /** `json` (default, also for "") or `text`. */
  readonly format?: string;
}

const LEVEL_ALIASES: Readonly<Record<string, string>> = { warning: "warn", panic: "fatal" };

/** The pino level for a logrus level name. */
export function toPinoLevel(level: string): string {
  const lower = level.toLowerCase();
  return LEVEL_ALIASES[lower] ?? lower;
}

/**
 * Create a pino logger with level labels and ISO timestamps. `destination` (for tests) replaces
 * the file or stdout. Throws when `path` cannot be opened (the caller reports it and exits).
 */
export function createLogger(settings: LogSettings, destination?: DestinationStream): Logger {
  const sink = destination ?? openDestination(settings.path);
  const output = settings.format?.toLowerCase() === "text" ? textStream(sink) : sink;
  return pino(
    {
      level: toPinoLevel(settings.level),
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    output,
  );
}

function openDestination(path: string | undefined): DestinationStream {
  // stdout: lines are gathered into writes of 4 KiB or every 250 ms, whichever comes first (one
  // write per line cost an admission a tenth of its CPU); pino writes what is left when the
  // process exits.
  if (!path) return pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 250 } as object);
  let fd: number;
  try {
    fd = openSync(path, "a", 0o640);
  } catch (error) {
    throw new Error(`unable to open log file ${path}`, { cause: error });
  }
  // Synchronous file writes: a record is on disk before the process can die, and a test or
  // operator reading the file right after a log call sees it.
  return pino.destination({ fd, sync: true });
}

function textStream(sink: DestinationStream): DestinationStream {
  const flushable = sink as { flush?: (callback?: (error?: Error) => void) => void };
  const write = (line: string) => sink.write(formatTextLine(line));
  // pino's logger.flush() forwards to the stream's flush when it has one.
  if (!flushable.flush) return { write };
  return {
    write,
    flush: (callback?: (error?: Error) => void) => flushable.flush?.(callback),
  } as DestinationStream;
}
