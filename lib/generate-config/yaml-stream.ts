/** Renders documents as YAML: a `---` separated stream, each document led by its `#` comment. */
import { Document } from "yaml";
import type { ManifestDocument } from "./manifests.js";

/** One document as YAML text, with `comment` (if any) as leading `#` lines. */
export function renderDocument(content: Record<string, unknown>, comment?: string): string {
  const document = new Document(content);
  // On the top-level node rather than the document, so that no blank line follows the comment.
  if (comment !== undefined && document.contents) document.contents.commentBefore = ` ${comment}`;
  // lineWidth 0: never fold long strings (base64 data), which would only make diffs noisy.
  return document.toString({ lineWidth: 0 });
}

/** The stream of all documents, each preceded by `---`. */
export function renderStream(documents: readonly ManifestDocument[]): string {
  return documents.map((document) => `---\n${renderDocument(document.content, document.comment)}`).join("");
}
