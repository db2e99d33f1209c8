import type { Transaction } from "kysely";
import type { NeutronRepository, TaggedTable } from "../../store/neutron-repository.js";
import type { Database } from "../../store/schema.js";
import type { AuthContext } from "../context.js";
import { InvalidInput } from "../errors.js";
import { PolicyNotAuthorized, TagNotFound } from "./errors.js";
import type { FloatingIps } from "./floating-ips.js";
import type { Networks } from "./networks.js";
import type { Ports } from "./ports.js";
import type { Routers } from "./routers.js";
import type { SecurityGroups } from "./security-groups.js";
import { neutronTime, ownsOrAdmin } from "./standard-attributes.js";
import type { Subnets } from "./subnets.js";

export type TaggedKind = "networks" | "subnets" | "ports" | "routers" | "floatingips" | "security-groups";

/** The table of a kind of resource (the URL says security-groups, the table security_groups). */
const tableOf = (kind: TaggedKind): TaggedTable => (kind === "security-groups" ? "security_groups" : kind);

/** neutron-lib's tag limits: 60 characters, no comma or slash (they separate tags in URLs and filters). */
const MAX_TAG_LENGTH = 60;

export function checkTag(tag: string): void {
  if (tag.length === 0 || tag.length > MAX_TAG_LENGTH || /[,/]/.test(tag))
    throw new InvalidInput(`Invalid input for tags. Reason: '${tag}' is not a valid tag.`);
}

/** The standard-attr-tag extension: tags of networks, subnets and ports, owners only. */
export class Tags {
  constructor(
    readonly repo: NeutronRepository,
    readonly resources: {
      networks: Networks;
      subnets: Subnets;
      ports: Ports;
      routers: Routers;
      floatingips: FloatingIps;
      "security-groups": SecurityGroups;
    },
  ) {}

  /** The resource's current tags, after checking the caller sees it (and may change it, if `change`). */
  async #tags(
    caller: AuthContext,
    kind: TaggedKind,
    id: string,
    trx: Transaction<Database>,
    change: boolean,
  ): Promise<string[]> {
    const row = await this.resources[kind].visibleRow(caller, id, trx);
    if (change && !ownsOrAdmin(caller, row.project_id))
      throw new PolicyNotAuthorized(`update_${tableOf(kind).slice(0, -1)}:tags`);
    // concurrent changes of one resource's tags take turns: each reads, deletes and inserts
    // its rows after the last one committed (else two replaces insert the same tag twice)
    if (change) await this.repo.lockResource(tableOf(kind), id, trx);
    return (await this.repo.tagsOf([id], trx)).get(id) ?? [];
  }

  list(caller: AuthContext, kind: TaggedKind, id: string): Promise<string[]> {
    return this.repo.transaction((trx) => this.#tags(caller, kind, id, trx, false));
  }

  /** Raises TagNotFound unless the resource has the tag. */
  async check(caller: AuthContext, kind: TaggedKind, id: string, tag: string): Promise<void> {
    const tags = await this.list(caller, kind, id);
    if (!tags.includes(tag)) throw new TagNotFound(id, tag);
  }

  async replace(
    caller: AuthContext,
    kind: TaggedKind,
    id: string,
    tags: readonly string[],
  ): Promise<string[]> {
    for (const tag of tags) checkTag(tag);
    const unique = [...new Set(tags)].sort();
    return this.repo.transaction(async (trx) => {
      await this.#tags(caller, kind, id, trx, true);
      await this.repo.replaceTags(id, unique, trx);
      await this.repo.bumpRevision(tableOf(kind), id, neutronTime(), trx);
      return unique;
    });
  }

  async add(caller: AuthContext, kind: TaggedKind, id: string, tag: string): Promise<void> {
    checkTag(tag);
    await this.repo.transaction(async (trx) => {
      const tags = await this.#tags(caller, kind, id, trx, true);
      if (tags.includes(tag)) return;
      await this.repo.replaceTags(id, [...tags, tag].sort(), trx);
      await this.repo.bumpRevision(tableOf(kind), id, neutronTime(), trx);
    });
  }

  async remove(caller: AuthContext, kind: TaggedKind, id: string, tag: string): Promise<void> {
    await this.repo.transaction(async (trx) => {
      const tags = await this.#tags(caller, kind, id, trx, true);
      if (!tags.includes(tag)) throw new TagNotFound(id, tag);
      await this.repo.replaceTags(
        id,
        tags.filter((t) => t !== tag),
        trx,
      );
      await this.repo.bumpRevision(tableOf(kind), id, neutronTime(), trx);
    });
  }
}
