import { randomUUID } from "node:crypto";
import type { Db } from "../../../store/database.js";
import { InstanceActionRepository } from "../../../store/instance-action-repository.js";
import { InstanceRepository } from "../../../store/instance-repository.js";
import type { InstanceActionEventRow, InstanceRow, NewInstanceRow } from "../../../store/schema.js";
import { TaskEngine, type TaskSecrets } from "../../../tasks/engine.js";
import { FakeDriver } from "../../../virt/fake/driver.js";
import { PowerState } from "../../../virt/power-state.js";
import { DriverRegistry } from "../../../virt/registry.js";
import type { ImageService } from "../../image/image-service.js";
import { ALICE, openImageTestService } from "../../image/testing.js";
import { InstanceNetworking } from "../../network/instance-networking.js";
import { NeutronService } from "../../network/neutron-service.js";
import { HostService } from "../host-service.js";
import { Placement } from "../placement.js";
import { VmState } from "../vm-states.js";
import { registerComputeTasks } from "./index.js";
import { TaskSupport } from "./support.js";

/** A (vm_state, task_state) pair a server passed through, as `vm/task` ("active/shelving"). */
export type Walk = string[];

/**
 * Test support for the compute tasks: the real task engine and every compute task over a
 * fresh database, a real image service and one fake host, without the HTTP layer.
 * Every change of a server's vm_state or task_state is recorded, so a test can read the
 * whole walk of an action, intermediate task states included.
 */
export interface TaskKit {
  readonly db: Db;
  readonly images: ImageService;
  readonly driver: FakeDriver;
  readonly instances: InstanceRepository;
  readonly actions: InstanceActionRepository;
  /** An ACTIVE server of ALICE's project on the fake host, its guest running. */
  server(overrides?: Partial<NewInstanceRow>): Promise<string>;
  /**
   * Sets the task_state the API would have set, records the action, runs a task of `kind`
   * to its end and returns the states the server went through (the accepted one first).
   */
  run(uuid: string, kind: string, taskState: string, payload?: unknown, secrets?: TaskSecrets): Promise<Walk>;
  row(uuid: string): Promise<InstanceRow>;
  /** The events of the server's latest action, and the action's message. */
  lastAction(
    uuid: string,
  ): Promise<{ action: string; message: string | null; events: InstanceActionEventRow[] }>;
  close(): Promise<void>;
}

const silent = { info: () => undefined, warn: () => undefined };

export async function openTaskKit(): Promise<TaskKit> {
  const { db, images, close } = await openImageTestService();
  const instances = new InstanceRepository(db);
  const actions = new InstanceActionRepository(db);
  const driver = new FakeDriver({ hostname: "fake-host", stepMs: 0 });
  const drivers = new DriverRegistry();
  drivers.add(driver);
  // the host's nova-compute service, which the scheduler looks for
  const placement = new Placement(db);
  await new HostService(db, drivers, { controlHost: driver.hostname, placement }).register();
  const engine = new TaskEngine(db, silent, { pollMs: 5 });
  registerComputeTasks(
    engine,
    new TaskSupport(
      db,
      instances,
      actions,
      drivers,
      new InstanceNetworking(new NeutronService(db)),
      images,
      { of: async (hosts) => new Map(hosts.map((h) => [h, "nova"])) },
      placement,
    ),
  );
  await engine.start(true);

  const walks = new Map<string, Walk>();
  const update = instances.update.bind(instances);
  instances.update = async (executor, uuid, changes, expect) => {
    const applied = await update(executor, uuid, changes, expect);
    if (applied && (changes.vm_state !== undefined || changes.task_state !== undefined)) {
      const row = await instances.row(executor, uuid);
      walks.get(uuid)?.push(`${row?.vm_state}/${row?.task_state ?? "-"}`);
    }
    return applied;
  };

  const kit: TaskKit = {
    db,
    images,
    driver,
    instances,
    actions,
    async server(overrides = {}) {
      const uuid = randomUUID();
      const now = new Date().toISOString();
      const flavor = { flavorid: "1", name: "m1.tiny", vcpus: 1, memory_mb: 512, root_gb: 1 };
      const row: NewInstanceRow = {
        uuid,
        project_id: ALICE.projectId!,
        user_id: ALICE.userId,
        display_name: "vm",
        hostname: "vm",
        image_ref: "base-image",
        flavor_id: "1",
        flavor: JSON.stringify({ ...flavor, ephemeral_gb: 0, swap: 0, extra_specs: {} }),
        vcpus: 1,
        memory_mb: 512,
        vm_state: VmState.ACTIVE,
        power_state: PowerState.RUNNING,
        host: driver.hostname,
        node: driver.hostname,
        availability_zone: "nova",
        reservation_id: "r-test",
        launched_at: now,
        created_at: now,
        updated_at: now,
        ...overrides,
      };
      await instances.insert(db, row, {}, []);
      await driver.spawn({
        uuid,
        name: row.display_name,
        hostname: row.hostname,
        imageRef: row.image_ref ?? "",
        vcpus: 1,
        memoryMb: 512,
        rootGb: 1,
        userData: null,
        keyData: null,
        addresses: [],
      });
      return uuid;
    },
    async run(uuid, kind, taskState, payload = {}, secrets) {
      const walk: Walk = [];
      walks.set(uuid, walk);
      await instances.update(db, uuid, { task_state: taskState });
      const actionId = await actions.start(db, {
        instanceUuid: uuid,
        action: kind,
        requestId: `req-${randomUUID()}`,
        projectId: ALICE.projectId!,
        userId: ALICE.userId,
      });
      await engine.enqueue(db, { kind, instanceUuid: uuid, actionId, payload, secrets });
      engine.wake();
      await engine.drain();
      walks.delete(uuid);
      return walk;
    },
    async row(uuid) {
      const row = await instances.row(db, uuid);
      if (!row) throw new Error(`no server ${uuid}`);
      return row;
    },
    async lastAction(uuid) {
      const [action] = await actions.list(uuid, { limit: 1 });
      if (!action) throw new Error(`no action for ${uuid}`);
      return { action: action.action, message: action.message, events: await actions.events(action.id) };
    },
    async close() {
      await engine.stop();
      await close();
    },
  };
  return kit;
}
