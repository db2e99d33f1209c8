import type { CloudAuth } from "./cloud-config.js";
import type { HttpClient, HttpResponse } from "./http.js";

/**
 * The compute microversion the suite speaks: 2.37 is the first where a server may be
 * booted with `"networks": "none"`, and every cloud since Newton (2016) offers it.
 */
export const COMPUTE_MICROVERSION = "2.37";

/** An HTTP status other than the expected one, with the fault text the cloud sent. */
export class OpenStackError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${url} -> ${status}: ${body.slice(0, 300)}`);
    this.name = "OpenStackError";
  }
}

interface CatalogEndpoint {
  interface: string;
  region?: string | null;
  region_id?: string | null;
  url: string;
}

interface CatalogEntry {
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}

interface TokenBody {
  token: {
    project?: { id: string; name: string };
    user: { id: string; name: string };
    roles?: Array<{ name: string }>;
    catalog?: CatalogEntry[];
  };
}

/** Keystone v3's token request body for `auth` (password or application credential). */
export function tokenRequestBody(auth: CloudAuth): unknown {
  if (auth.authType === "v3applicationcredential") {
    const credential: Record<string, unknown> = { secret: auth.applicationCredentialSecret };
    if (auth.applicationCredentialId) credential.id = auth.applicationCredentialId;
    else {
      credential.name = auth.applicationCredentialName;
      credential.user = userRef(auth);
    }
    return {
      auth: { identity: { methods: ["application_credential"], application_credential: credential } },
    };
  }
  const scope: Record<string, unknown> = {};
  if (auth.projectId) scope.project = { id: auth.projectId };
  else if (auth.projectName)
    scope.project = {
      name: auth.projectName,
      domain: auth.projectDomainId
        ? { id: auth.projectDomainId }
        : { name: auth.projectDomainName ?? "Default" },
    };
  return {
    auth: {
      identity: { methods: ["password"], password: { user: { ...userRef(auth), password: auth.password } } },
      ...(scope.project ? { scope } : {}),
    },
  };
}

function userRef(auth: CloudAuth): Record<string, unknown> {
  if (auth.userId) return { id: auth.userId };
  return {
    name: auth.username,
    domain: auth.userDomainId ? { id: auth.userDomainId } : { name: auth.userDomainName ?? "Default" },
  };
}

/** `<auth_url>/v3`, whether or not clouds.yaml wrote the version. */
export function identityV3Url(authUrl: string): string {
  const trimmed = authUrl.replace(/\/+$/, "");
  return /\/v3$/.test(trimmed) ? trimmed : `${trimmed}/v3`;
}

export interface SessionOptions {
  interface?: string;
  regionName?: string;
}

/** A scoped Keystone token and the catalog that came with it. */
export class Session {
  private constructor(
    readonly http: HttpClient,
    readonly auth: CloudAuth,
    readonly token: string,
    readonly projectId: string,
    readonly userName: string,
    readonly roles: string[],
    readonly tokensUrl: string,
    readonly catalog: CatalogEntry[],
    readonly options: SessionOptions,
  ) {}

  static async login(http: HttpClient, auth: CloudAuth, options: SessionOptions = {}): Promise<Session> {
    const tokensUrl = `${identityV3Url(auth.authUrl)}/auth/tokens`;
    const res = await http.request("POST", tokensUrl, { json: tokenRequestBody(auth) });
    if (res.status !== 201) throw new OpenStackError("POST", tokensUrl, res.status, res.text);
    const token = res.headers["x-subject-token"];
    if (typeof token !== "string")
      throw new Error(`POST ${tokensUrl}: no X-Subject-Token header in the response`);
    const body = JSON.parse(res.text) as TokenBody;
    if (!body.token.project) throw new Error(`POST ${tokensUrl}: the token is not scoped to a project`);
    return new Session(
      http,
      auth,
      token,
      body.token.project.id,
      body.token.user.name,
      (body.token.roles ?? []).map((r) => r.name),
      tokensUrl,
      body.token.catalog ?? [],
      options,
    );
  }

  /** The catalog URL of service `type` for this session's interface and region, without a trailing slash. */
  endpoint(type: string): string {
    const wanted = this.options.interface ?? "public";
    const region = this.options.regionName;
    const entry = this.catalog.find((e) => e.type === type);
    const endpoint = entry?.endpoints.find(
      (ep) =>
        (ep.interface === wanted || ep.interface === `${wanted}URL`) &&
        (region === undefined || ep.region === region || ep.region_id === region),
    );
    if (!endpoint)
      throw new Error(`the catalog has no ${wanted} '${type}' endpoint${region ? ` in ${region}` : ""}`);
    return endpoint.url.replace(/\/+$/, "");
  }

  hasService(type: string): boolean {
    return this.catalog.some((e) => e.type === type);
  }

  get computeUrl(): string {
    return this.endpoint("compute");
  }

  /** Headers of a compute call: the token and the microversion. */
  computeHeaders(): Record<string, string> {
    return {
      "X-Auth-Token": this.token,
      "OpenStack-API-Version": `compute ${COMPUTE_MICROVERSION}`,
      "X-OpenStack-Nova-API-Version": COMPUTE_MICROVERSION,
    };
  }

  /** A compute call; any status outside `expect` throws an {@link OpenStackError}. */
  async compute<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    expect: number[] = [200, 202, 204],
  ): Promise<{ status: number; body: T }> {
    const url = `${this.computeUrl}${path}`;
    const res = await this.http.request(method, url, { headers: this.computeHeaders(), json: body });
    return checked<T>(method, url, res, expect);
  }

  /** A call to another service of the catalog (image, network). */
  async service<T = Record<string, unknown>>(type: string, method: string, path: string): Promise<T> {
    const url = `${this.endpoint(type)}${path}`;
    const res = await this.http.request(method, url, { headers: { "X-Auth-Token": this.token } });
    return checked<T>(method, url, res, [200]).body;
  }
}

function checked<T>(
  method: string,
  url: string,
  res: HttpResponse,
  expect: number[],
): { status: number; body: T } {
  if (!expect.includes(res.status)) throw new OpenStackError(method, url, res.status, res.text);
  return { status: res.status, body: (res.text ? JSON.parse(res.text) : {}) as T };
}
