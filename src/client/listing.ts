/**
 * Paged listings as async iterables (header.proto PageRequest/PageResponse).
 *
 * Iterating a `Listing` fetches page after page until the server returns an empty
 * next_page_token. The server pins every later page to the first page's commit seq (on an MVCC
 * database), so one iteration sees one snapshot: no item is skipped or repeated by concurrent
 * writes. `page(token)` exposes single pages for callers that keep the token themselves (a web
 * handler that pages per request); `toArray()` collects everything.
 */
import type { ResponseHeader } from './types.js';

/** One page of a listing. */
export interface Page<T> {
  readonly items: T[];
  /** Empty = no more items. */
  readonly nextPageToken: string;
  /** The snapshot read (the same for every page of one listing). */
  readonly header: ResponseHeader;
}

export class Listing<T> implements AsyncIterable<T> {
  /** `fetch(token)` reads one page; the token is '' for the first. */
  constructor(private readonly fetch: (pageToken: string) => Promise<Page<T>>) {}

  /** One page: '' (the default) for the first, else a previous page's nextPageToken. */
  page(pageToken = ''): Promise<Page<T>> {
    return this.fetch(pageToken);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    let token = '';
    do {
      const page = await this.fetch(token);
      yield* page.items;
      token = page.nextPageToken;
    } while (token !== '');
  }

  /** Every item of every page. */
  async toArray(): Promise<T[]> {
    const out: T[] = [];
    for await (const item of this) out.push(item);
    return out;
  }
}
