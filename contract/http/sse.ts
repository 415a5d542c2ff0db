/**
 * The live stream's wire format (server-sent events, GET /api/v1/stream) as a client reads it: blocks
 * separated by a blank line, each with `id:`, `event:` and a JSON `data:` line. Comments (`: ping`)
 * and blocks without data are skipped.
 */
export interface SseMessage {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

/** The complete messages at the front of `buffer`, and the incomplete rest to keep for the next chunk. */
export function takeSseMessages(buffer: string): { messages: SseMessage[]; rest: string } {
  const messages: SseMessage[] = [];
  let rest = buffer;
  for (let end = rest.indexOf('\n\n'); end >= 0; end = rest.indexOf('\n\n')) {
    const block = rest.slice(0, end);
    rest = rest.slice(end + 2);
    const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
    const data = field('data');
    if (!data) continue;
    messages.push({ id: field('id') ?? '', event: field('event') ?? 'message', data: JSON.parse(data) as Record<string, unknown> });
  }
  return { messages, rest };
}
