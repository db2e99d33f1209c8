import type { Db } from "./database.js";

/** The columns of a server that its usage is computed from. */
export interface UsageInstanceRow {
  uuid: string;
  project_id: string;
  display_name: string;
  vm_state: string;
  flavor: string;
  launched_at: string;
  terminated_at: string | null;
}

/** A paging position in nova's usage order (project, then server uuid). */
export interface UsageMarker {
  project_id: string;
  uuid: string;
}

/**
 * The servers that lived during a period, deleted ones included (a deleted server keeps its
 * row with terminated_at set, so its hours still count): nova's
 * instance_get_active_by_window_joined.
 */
export class UsageRepository {
  constructor(private readonly db: Db) {}

  /**
   * Servers not terminated before `begin` and launched before `end` (never-launched ones
   * have no usage), ordered by project then uuid, after `marker`, at most `limit`.
   * Times are ISO 8601 strings as the store keeps them.
   */
  async activeInWindow(query: {
    begin: string;
    end: string;
    projectId?: string;
    marker?: UsageMarker;
    limit: number;
  }): Promise<UsageInstanceRow[]> {
    let select = this.db
      .selectFrom("instances")
      .select(["uuid", "project_id", "display_name", "vm_state", "flavor", "launched_at", "terminated_at"])
      .where((eb) => eb.or([eb("terminated_at", "is", null), eb("terminated_at", ">", query.begin)]))
      .where("launched_at", "<", query.end)
      .$narrowType<{ launched_at: string }>();
    if (query.projectId !== undefined) select = select.where("project_id", "=", query.projectId);
    const marker = query.marker;
    if (marker) {
      select = select.where((eb) =>
        eb.or([
          eb("project_id", ">", marker.project_id),
          eb.and([eb("project_id", "=", marker.project_id), eb("uuid", ">", marker.uuid)]),
        ]),
      );
    }
    return select.orderBy("project_id", "asc").orderBy("uuid", "asc").limit(query.limit).execute();
  }

  /** Any server by uuid, deleted or not, as a paging position. */
  async marker(uuid: string): Promise<UsageMarker | undefined> {
    return this.db
      .selectFrom("instances")
      .select(["project_id", "uuid"])
      .where("uuid", "=", uuid)
      .executeTakeFirst();
  }
}
