/**
 * Reads just enough of gRPC bodies to count what the registrar asks of SPIRE, without decoding
 * messages: the length-prefixed messages of a body, and how often a top-level protobuf field
 * occurs in one (e.g. field 1 `entries` of ListEntriesResponse and BatchCreateEntryRequest, field 1
 * `ids` of BatchDeleteEntryRequest, field 1 `filter` of ListEntriesRequest).
 */

/**
 * The messages of a gRPC body (each a 1-byte compressed flag and a 4-byte big-endian length, then
 * the message), or undefined when the body is cut short or a message is compressed.
 */
export function grpcMessages(body: Uint8Array): Uint8Array[] | undefined {
  const messages: Uint8Array[] = [];
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let at = 0;
  while (at < body.length) {
    if (body.length - at < 5 || body[at] !== 0) return undefined;
    const size = view.getUint32(at + 1);
    at += 5;
    if (body.length - at < size) return undefined;
    messages.push(body.subarray(at, at + size));
    at += size;
  }
  return messages;
}

/** How many times field `field` occurs at the top level of `message`; undefined when it is malformed. */
export function countField(message: Uint8Array, field: number): number | undefined {
  let count = 0;
  let at = 0;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (at >= message.length) return undefined;
      const byte = message[at++] as number;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    return undefined;
  };
  while (at < message.length) {
    const key = varint();
    if (key === undefined) return undefined;
    const wireType = key % 8;
    if (Math.floor(key / 8) === field) count++;
    if (wireType === 0) {
      if (varint() === undefined) return undefined;
    } else if (wireType === 1 || wireType === 5) {
      at += wireType === 1 ? 8 : 4;
    } else if (wireType === 2) {
      const length = varint();
      if (length === undefined) return undefined;
      at += length;
    } else {
      return undefined; // groups (3, 4) are not used by SPIRE's API; anything else is not protobuf
    }
    if (at > message.length) return undefined;
  }
  return count;
}

/** The occurrences of `field` summed over every message of a gRPC body; undefined when unreadable. */
export function countInBody(body: Uint8Array, field: number): number | undefined {
  const messages = grpcMessages(body);
  if (messages === undefined) return undefined;
  let total = 0;
  for (const message of messages) {
    const count = countField(message, field);
    if (count === undefined) return undefined;
    total += count;
  }
  return total;
}
