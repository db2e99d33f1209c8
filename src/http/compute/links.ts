/**
 * Builds nova's links: `self` under the versioned mount, `bookmark` without it, and
 * `next` page links that repeat the request's query with a new marker. The project id
 * appears in links only when the request URL carried it.
 */
export class Links {
  constructor(
    /** e.g. http://host:port/compute */
    readonly base: string,
    /** "/v2.1" or "/v2" */
    readonly mountPrefix: string,
    readonly projectId: string | undefined,
    /** The request URL (path and query) as received. */
    readonly requestUrl: string,
  ) {}

  private get project(): string {
    return this.projectId ? `/${this.projectId}` : "";
  }

  self(collection: string, id: string | number): string {
    return `${this.base}${this.mountPrefix}${this.project}/${collection}/${id}`;
  }

  bookmark(collection: string, id: string | number): string {
    return `${this.base}${this.project}/${collection}/${id}`;
  }

  /** The `[{rel: self}, {rel: bookmark}]` pair every resource view carries. */
  pair(collection: string, id: string | number) {
    return [
      { href: this.self(collection, id), rel: "self" },
      { href: this.bookmark(collection, id), rel: "bookmark" },
    ];
  }

  /** Where the image API serves an image (what nova's Location header for createImage names). */
  image(id: string): string {
    return `${this.base.replace(/\/compute$/, "")}/image/v2/images/${id}`;
  }

  /** `<base>/v2.1[/project]/<collection>?<request query, sorted, with marker>`. */
  next(collection: string, marker: string): string {
    const query = new URLSearchParams(this.requestUrl.split("?")[1] ?? "");
    query.delete("marker");
    query.append("marker", marker);
    const entries = [...query.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const qs = entries.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
    return `${this.base}${this.mountPrefix}${this.project}/${collection}?${qs}`;
  }
}
