/**
 * The fuzz suite's runner: fast-check properties with a bounded number of runs, so the whole suite is
 * a few thousand cases. A failure names the seed and the shrunk counterexample (fast-check's report);
 * `FUZZ_SEED=<seed>` replays a run, `FUZZ_RUNS=<n>` scales the number of cases.
 */
import fc from "fast-check";

const scale = Number(process.env.FUZZ_RUNS ?? "1");
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

/** Checks `property` on `runs` generated cases; throws fast-check's report (with its seed) on failure. */
export async function fuzz(
  property: fc.IAsyncPropertyWithHooks<unknown> | fc.IPropertyWithHooks<unknown>,
  runs: number,
): Promise<void> {
  const details = await fc.check(property as fc.IAsyncProperty<unknown>, {
    numRuns: Math.max(1, Math.round(runs * scale)),
    ...(seed === undefined ? {} : { seed }),
  });
  if (details.failed) {
    throw new Error(
      `fuzz property failed (replay with FUZZ_SEED=${details.seed}): ${fc.defaultReportMessage(details) ?? ""}`,
    );
  }
}

/** A string that mixes text from `alphabet` with arbitrary characters (some control and non-ASCII). */
export function mixedString(alphabet: readonly string[], maxLength = 40): fc.Arbitrary<string> {
  const piece = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...alphabet) },
    { weight: 1, arbitrary: fc.string({ maxLength: 3 }) },
    { weight: 1, arbitrary: fc.constantFrom("\n", "\t", "\u0000", "\u007f", "é", "…", "\u2028") },
  );
  return fc.array(piece, { maxLength }).map((pieces) => pieces.join(""));
}

/** Applies up to `count` random edits (delete, insert, duplicate a slice) to `text`. */
export function mutated(text: string, count = 4): fc.Arbitrary<string> {
  const edit = fc.tuple(
    fc.constantFrom("delete", "insert", "duplicate"),
    fc.nat(text.length),
    fc.nat(12),
    fc.oneof(
      fc.string({ maxLength: 4 }),
      fc.constantFrom("{", "}", "[", "]", '"', "=", "\n", "<<EOF", "#", "/*"),
    ),
  );
  return fc.array(edit, { minLength: 1, maxLength: count }).map((edits) =>
    edits.reduce((current, [kind, at, length, insert]) => {
      const position = Math.min(at, current.length);
      if (kind === "delete") return current.slice(0, position) + current.slice(position + length);
      if (kind === "insert") return current.slice(0, position) + insert + current.slice(position);
      return (
        current.slice(0, position) +
        current.slice(position, position + length).repeat(3) +
        current.slice(position)
      );
    }, text),
  );
}
