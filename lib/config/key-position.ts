/** A top-level key of a config text and the 1-based line it is written on. */
export interface KeyPosition {
  readonly name: string;
  readonly line: number;
}
